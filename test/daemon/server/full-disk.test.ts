import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CarClient } from '../../../src/client/node.js';
import type { DaemonStatus } from '../../../src/protocol/core.js';
import { startDaemon } from '../../helpers/daemon.js';
import { rawSocket } from '../../helpers/raw-socket.js';
import { SmallFilesystem } from '../../helpers/small-filesystem.js';
import { waitFor } from '../../helpers/wait.js';

/** Every journal line parses and `seq` has no hole. */
function assertJournalWhole(dir: string): void {
  for (const name of readdirSync(dir)) {
    const seqs = readFileSync(join(dir, name), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as { seq: number }).seq);
    assert.deepEqual(
      seqs,
      seqs.map((_, index) => index + 1),
      name,
    );
  }
}

/** Issue 26, item 1: a full or read-only state root never stops the daemon answering. */
describe('a daemon whose disk fills up, then turns read-only', () => {
  it('signs clients in, creates and removes sessions, reports the failing writes and keeps its journal whole', async (t) => {
    const fs = SmallFilesystem.mount(24);
    if (typeof fs === 'string') return t.skip(fs);
    const stateRoot = join(fs.dir, 'root');
    const daemon = await startDaemon({ stateRoot, logFile: join(stateRoot, 'logs', 'daemon.log') });
    try {
      const watcher = await daemon.connect({ asHost: true });
      const status = async (): Promise<DaemonStatus> => watcher.call('daemon.status', {}, { timeoutMs: 20_000 });
      const signIn = async () => (await CarClient.connect({ url: daemon.url, token: daemon.token(), connectTimeoutMs: 20_000 })).close();
      const signInWithFrame = async () => {
        const sock = await rawSocket(daemon.url);
        sock.send({ jsonrpc: '2.0', id: 1, method: 'session.auth', params: { token: daemon.token() } });
        assert.equal((await sock.next(20_000)).result.ok, true);
        sock.close();
      };

      fs.fill();
      for (let index = 0; index < 5; index++) await watcher.call('host.notify', { kind: 'test.full_disk', payload: { index } });
      await signIn();
      await signInWithFrame();
      for (let index = 0; index < 5; index++) (await rawSocket(daemon.url)).ws.terminate();
      const full = await status();
      assert.equal(full.journal_writes.failing, true);
      assert.match(full.journal_writes.last_error!, /ENOSPC/);
      assert.ok(full.journal_writes.pending > 0);
      assert.equal(full.log_writes?.file, join(stateRoot, 'logs', 'daemon.log'));

      fs.free();
      await waitFor(async () => (await status()).journal_writes.pending === 0, 'the journal backlog to be written', 20_000);
      await waitFor(async () => (await watcher.call('sessions.list', {})).count === 1, 'no session but the watcher', 20_000);

      fs.failReadOnly();
      await watcher.call('host.notify', { kind: 'test.read_only', payload: {} });
      await signIn();
      await signInWithFrame();
      await waitFor(async () => /EROFS|read-only/i.test((await status()).journal_writes.last_error ?? ''), 'the read-only failure reported', 20_000);
      watcher.close();
      assert.equal(await daemon.stop(), 0, 'a graceful stop completes on a read-only disk');
      assertJournalWhole(join(stateRoot, 'journals'));
    } finally {
      await daemon.kill();
      fs.unmount();
    }
  });
});
