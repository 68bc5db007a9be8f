import { meetingPcm } from '../../test/daemon/meetings/support.js';
import { startDaemon } from '../../test/helpers/daemon.js';
import { RpcSocket, type ChaosScenario } from '../harness.js';

/** Pushes audio until `acknowledged` transcript events arrived (or the audio ran out), then kill -9. */
async function killMidMeeting(stateRoot: string | undefined, wantAcks: number) {
  const daemon = await startDaemon({ stateRoot });
  const sock = await RpcSocket.signedIn(daemon.url, daemon.token());
  const started = await sock.call('meeting.start', {});
  const meetingId: string = started.result.id;
  const voiceSession: string = started.result.voice_session_id;
  const acknowledged = () => sock.notifications.filter((note) => note.method === 'voice.event' && note.params.event?.type === 'transcript').length;
  const pcm = meetingPcm(2);
  for (let offset = 0; offset < pcm.length && acknowledged() < wantAcks; offset += 16000) {
    await sock.call('voice.transcribe_stream.push', { session_id: voiceSession, pcm_b64: pcm.subarray(offset, offset + 16000).toString('base64') });
  }
  const acked = acknowledged();
  await daemon.kill();
  sock.close();
  return { stateRoot: daemon.stateRoot, meetingId, acked };
}

/** R2: kill -9 mid-meeting and restart: no acknowledged segment lost, the meeting `interrupted`, the lock recovered. */
export const killNine: ChaosScenario = {
  id: 'R2',
  name: 'kill -9 mid-meeting',
  async run(scale) {
    const rounds = scale === 'full' ? 2 : 1;
    let lost = 0;
    let acked = 0;
    let interrupted = 0;
    let recovered = 0;
    let stateRoot: string | undefined;
    for (let round = 0; round < rounds; round++) {
      const killed = await killMidMeeting(stateRoot, 2);
      stateRoot = killed.stateRoot;
      acked += killed.acked;
      const restarted = await startDaemon({ stateRoot });
      recovered++;
      const sock = await RpcSocket.signedIn(restarted.url, restarted.token());
      const meeting = (await sock.call('meeting.get', { meeting_id: killed.meetingId })).result;
      if (meeting?.status === 'interrupted') interrupted++;
      lost += Math.max(0, killed.acked - (meeting?.transcript?.length ?? 0));
      sock.close();
      await restarted.stop();
    }
    return {
      id: 'R2',
      scenario: 'kill -9 mid-meeting',
      figure: `${rounds} kills, ${acked} acknowledged segments, ${lost} lost, ${interrupted}/${rounds} interrupted, ${recovered}/${rounds} restarts took the lock`,
      bar: '0 lost, every meeting interrupted, every restart takes the lock',
      ok: lost === 0 && acked > 0 && interrupted === rounds && recovered === rounds,
    };
  },
};
