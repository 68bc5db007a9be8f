import { startDaemon } from '../../test/helpers/daemon.js';
import { bounded, rssMiB, RpcSocket, sleep, type ChaosScenario } from '../harness.js';

const PCM_START = { audio_source: { kind: 'pcm_push', sample_rate: 16000, channels: 1 } };

/** What one vanishing client starts before its socket is terminated. */
const KINDS: Record<string, (sock: RpcSocket) => void> = {
  voice: (sock) => {
    for (let index = 0; index < 4; index++) void sock.call('voice.transcribe_stream.start', PCM_START);
  },
  infer_stream: (sock) => void sock.call('infer_stream', { prompt: 'Tell me a long story about the sea.', max_tokens: 64 }),
  meetings: (sock) => void sock.call('meeting.start', {}),
};

/** R3: clients that start voice, `infer_stream` and meetings and vanish leave nothing behind. */
export const vanish: ChaosScenario = {
  id: 'R3',
  name: 'vanish cycles',
  async run(scale) {
    const cycles = scale === 'full' ? 1000 : 15;
    const daemon = await startDaemon();
    try {
      const watcher = await RpcSocket.signedIn(daemon.url, daemon.hostToken(), true);
      // Warm: one voice session and one generation, so the baseline has its engines loaded.
      const warm = await watcher.call('voice.transcribe_stream.start', PCM_START);
      await watcher.call('voice.transcribe_stream.stop', { session_id: warm.result?.session_id });
      await watcher.call('infer', { prompt: 'Hi', max_tokens: 4 }, 120_000);
      const baseline = rssMiB(daemon.pid);
      let peak = baseline;
      const ran: Record<string, number> = {};
      for (const [kind, start] of Object.entries(KINDS)) {
        ran[kind] = await bounded(cycles, scale === 'full' ? 60_000 : 15_000, async () => {
          const sock = await RpcSocket.signedIn(daemon.url, daemon.token());
          start(sock);
          await sleep(kind === 'voice' ? 0 : 5);
          sock.close();
          peak = Math.max(peak, rssMiB(daemon.pid));
        });
      }
      // Left-overs are released within 10 s of the last client leaving.
      let status: any;
      let voiceSessions = -1;
      const settleBy = Date.now() + 10_000;
      do {
        await sleep(500);
        status = (await watcher.call('daemon.status', {})).result;
        voiceSessions = ((await watcher.call('voice.sessions.list', {})).result ?? []).length;
      } while ((status.sessions > 1 || voiceSessions > 0 || (status.admission?.permits_in_use ?? 0) > 0) && Date.now() < settleBy);
      const after = rssMiB(daemon.pid);
      const meetings = ((await watcher.call('meeting.list', {})).result?.meetings ?? []) as { status: string }[];
      const recording = meetings.filter((meeting) => meeting.status === 'recording').length;
      watcher.close();
      const clean = status.sessions === 1 && voiceSessions === 0 && (status.admission?.permits_in_use ?? 0) === 0 && recording === 0;
      return {
        id: 'R3',
        scenario: 'vanish cycles',
        figure: `${ran.voice}/${ran.infer_stream}/${ran.meetings} voice/infer_stream/meeting cycles; left: ${status.sessions - 1} sessions, ${voiceSessions} voice sessions, ${status.admission?.permits_in_use ?? 0} permits, ${recording} recording meetings; RSS ${baseline.toFixed(0)} → peak ${peak.toFixed(0)} → ${after.toFixed(0)} MiB`,
        bar: `${cycles} cycles each, all back to 0, RSS ≤ baseline + 300 MiB after 10 s`,
        ok: clean && Object.values(ran).every((count) => count === cycles) && after <= baseline + 300,
      };
    } finally {
      await daemon.stop();
    }
  },
};
