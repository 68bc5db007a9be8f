import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Connection } from '../../../src/client/connection.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { inMemoryFixture, openInMemory } from '../../helpers/in-memory-channel.js';
import { rejectsWith } from '../../helpers/rpc.js';
import { components, create, text } from './helpers.js';

/** `a2ui.*` (docs/protocol.md#namespace-a2ui) driven through the in-memory channel: apply, list and surface ownership. */
describe('a2ui over the in-memory channel', () => {
  const fixture = inMemoryFixture();
  let other: Connection;
  let host: Connection;

  before(async () => {
    [{ client: other }, { client: host }] = await Promise.all([openInMemory(fixture.state), openInMemory(fixture.state, { asHost: true })]);
  });
  after(() => {
    other.close();
    host.close();
  });

  it('applies a small v0.9 surface and lists it', async () => {
    assert.equal((await fixture.client.call('a2ui.apply', { envelope: create('status') })).surface?.revision, 1);
    const applied = await fixture.client.call('a2ui.apply', { envelope: components('status', [text('root', 'building')]) });
    assert.equal(applied.surface?.revision, 2);
    const surfaces = await other.call('a2ui.surfaces', {});
    assert.deepEqual(
      surfaces.map((surface) => surface.surfaceId),
      ['status'],
    );
    assert.equal((await other.call('a2ui.get', { surfaceId: 'status' }))?.revision, 2);
    assert.equal(await other.call('a2ui.get', { surfaceId: 'absent' }), null);
  });

  it("refuses another client session's update with -32012; a host session may update it", async () => {
    await rejectsWith(
      other.call('a2ui.apply', { envelope: components('status', [text('root', 'defaced')]) }),
      ErrorCode.Forbidden,
      /belongs to another session/,
    );
    assert.equal((await fixture.client.call('a2ui.get', { surfaceId: 'status' }))?.revision, 2);
    assert.equal((await host.call('a2ui.apply', { envelope: components('status', [text('root', 'moderated')]) })).surface?.revision, 3);
  });

  it('refuses an envelope that is not v0.9 with -32602', async () => {
    await rejectsWith(
      fixture.client.request('a2ui.apply', { envelope: { version: 'v0.8', createSurface: { surfaceId: 'old' } } }),
      ErrorCode.InvalidParams,
      /version/,
    );
  });
});
