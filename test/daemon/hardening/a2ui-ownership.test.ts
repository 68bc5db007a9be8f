import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CarClient } from '../../../src/client/node.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { rejectsWith } from '../../helpers/rpc.js';
import { components, create, dataModel, remove, text } from '../a2ui/helpers.js';

/** A2UI ownership (docs/protocol.md#ownership): the creator or a host session changes a surface; everyone may act on it. */
describe('A2UI surface ownership', () => {
  let daemon: InProcessDaemon;
  let creator: CarClient;
  let other: CarClient;
  let host: CarClient;

  before(async () => {
    daemon = await startInProcess();
    [creator, other, host] = await Promise.all([daemon.connect(), daemon.connect(), daemon.connect({ asHost: true })]);
  });
  after(async () => {
    for (const client of [creator, other, host]) client.close();
    await daemon.close();
  });

  it("refuses another client session's update, replacement or deletion with -32012 and leaves the surface as it was", async () => {
    await creator.call('a2ui.apply', { envelope: create('mine') });
    await creator.call('a2ui.apply', { envelope: components('mine', [text('title', 'hello')]) });
    for (const envelope of [components('mine', [text('title', 'defaced')]), dataModel('mine', '/x', 1), create('mine'), remove('mine')]) {
      await rejectsWith(
        other.call('a2ui.apply', { envelope }),
        ErrorCode.Forbidden,
        /belongs to another session; only the session that created it or a host session/,
      );
    }
    await rejectsWith(
      other.call('a2ui.ingest', { payload: { parts: [{ kind: 'data', data: remove('mine') }] } } as never),
      ErrorCode.Forbidden,
      /belongs to another session/,
    );
    const surface = await other.call('a2ui.get', { surfaceId: 'mine' });
    assert.equal(surface?.revision, 2);
  });

  it('lets every authenticated session send actions, and the creator and a host session change it', async () => {
    const acted = await other.call('a2ui.action', { name: 'click', surfaceId: 'mine', sourceComponentId: 'title', context: {} });
    assert.equal(acted.event.kind, 'a2ui.action');
    assert.equal((await creator.call('a2ui.apply', { envelope: dataModel('mine', '/x', 1) })).surface?.revision, 3);
    assert.equal((await host.call('a2ui.apply', { envelope: components('mine', [text('title', 'moderated')]) })).surface?.revision, 4);
    assert.equal((await host.call('a2ui.apply', { envelope: remove('mine') })).deleted, true);
  });
});
