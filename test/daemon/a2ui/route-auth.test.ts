import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { format, inspect } from 'node:util';
import { A2uiRouteAuthStore } from '../../../src/daemon/a2ui/route-auth.js';

describe('route auth store (docs/protocol.md#a2ui-ingest)', () => {
  const store = new A2uiRouteAuthStore();
  store.set('s1', { endpoint: 'http://127.0.0.1:1/a2a', auth: { type: 'bearer', token: 'hidden-bearer-value' } });
  store.set('s2', { endpoint: 'http://127.0.0.1:1/a2a', auth: { type: 'header', name: 'X-Key', value: 'hidden-header-value' } });

  it('never shows a value when serialised, inspected or formatted', () => {
    const renderings = [
      JSON.stringify(store),
      JSON.stringify({ nested: { store } }),
      inspect(store, { depth: Infinity, showHidden: true }),
      format('%o %O %s %j', store, store, store, store),
      String(store),
      JSON.stringify(Object.entries(store)),
      JSON.stringify({ ...store }),
    ];
    for (const text of renderings) {
      assert.ok(!text.includes('hidden-'), text);
    }
    assert.equal(JSON.stringify(store), '{"surfaces_with_route_auth":2}');
  });

  it('hands credentials out only for the endpoint they were recorded with', () => {
    assert.deepEqual(store.forEndpoint('s1', 'http://127.0.0.1:1/a2a'), { type: 'bearer', token: 'hidden-bearer-value' });
    assert.equal(store.forEndpoint('s1', 'http://127.0.0.1:2/a2a'), null);
    assert.equal(store.forEndpoint('nope', 'http://127.0.0.1:1/a2a'), null);
    store.delete('s1');
    assert.equal(store.has('s1'), false);
    assert.equal(store.size, 1);
  });
});
