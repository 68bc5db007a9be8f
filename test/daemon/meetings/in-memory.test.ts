import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { inMemoryFixture } from '../../helpers/in-memory-channel.js';
import { rejectsWith } from '../../helpers/rpc.js';

/** `meeting.*` (docs/protocol.md#namespace-meeting) read paths driven through the in-memory channel on a fresh state root. */
describe('meetings over the in-memory channel', () => {
  const fixture = inMemoryFixture((root) => ({ stateRoot: root }));

  it('lists no meetings on a fresh state root', async () => {
    const { client } = fixture;
    assert.deepEqual(await client.call('meeting.list', {}), { meetings: [] });
  });

  it('answers meeting.get of an unknown id with -32010 naming it, and a malformed id with -32602', async () => {
    const { client } = fixture;
    const error = await rejectsWith(
      client.call('meeting.get', { meeting_id: 'never-recorded' }),
      ErrorCode.NotFound,
      /unknown meeting 'never-recorded'; list meetings with meeting\.list/,
    );
    assert.equal(error.data?.field, 'meeting_id');
    await rejectsWith(client.request('meeting.get', { meeting_id: '../etc' }), ErrorCode.InvalidParams, /param 'meeting_id'/);
  });
});
