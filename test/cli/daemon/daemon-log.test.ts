import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startDaemon } from '../../helpers/daemon.js';
import { waitFor } from '../../helpers/wait.js';
import { engineMissing } from '../../daemon/voice/recordings.js';
import { meetingPcm } from '../../daemon/meetings/support.js';
import { pushAll } from '../../daemon/voice/support.js';

/** Issue 27: the daemon log tells what happened (sign-ins, meetings, voice sessions), never secrets or what was said. */
describe('the daemon log', { skip: engineMissing }, () => {
  it('logs sign-in and sign-out, meetings and their voice sessions, without tokens or transcript text', async () => {
    const daemon = await startDaemon();
    try {
      const client = await daemon.connect({ memoryNamespace: 'meetings' });
      const started = await client.call('meeting.start', { id: 'logged' });
      await pushAll(client, started.voice_session_id!, meetingPcm(), 32000);
      const stopped = await client.call('meeting.stop', { meeting_id: started.id, summarize: false });
      assert.ok(stopped.transcript.length >= 1);
      await client.closeAndWait();
      await waitFor(() => /session signed out session=\S+ role=client reason=client_closed/.test(daemon.logs()), 'the sign-out line', 10_000);
      const log = daemon.logs();
      for (const line of [
        /INFO +session signed in session=sess-\S+ role=client remote=127\.0\.0\.1:\d+/,
        /INFO +meeting started meeting=logged session=sess-\S+ source=pcm_push/,
        /INFO +voice session started voice_session=\S+ session=sess-\S+ provider=local sample_rate=16000 channels=1 meeting=logged/,
        /INFO +voice session stopped voice_session=\S+ reason=requested audio_s=[\d.]+ segments=\d+/,
        /INFO +meeting stopped meeting=logged status=stopped stop_reason=requested segments=\d+ summary=none/,
      ]) {
        assert.match(log, line);
      }
      assert.ok(!log.includes(daemon.token()) && !log.includes(daemon.hostToken()), 'no token');
      for (const segment of stopped.transcript) assert.ok(!log.includes(segment.text), `no transcript text ('${segment.text}')`);
    } finally {
      await daemon.stop();
    }
  });
});
