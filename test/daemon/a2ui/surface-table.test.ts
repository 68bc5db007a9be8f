import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { A2UI_CATALOG_IDS, A2UI_COMPONENTS, type A2uiLimits, type A2uiSurfaceOwner } from '../../../src/protocol/a2ui.js';
import { RpcError } from '../../../src/protocol/errors.js';
import { jsonBytes, resolveLimits } from '../../../src/daemon/a2ui/limits.js';
import { SurfaceTable, type ApplyOptions } from '../../../src/daemon/a2ui/surface-table.js';
import { components, create, dataModel, nested, remove, text } from './helpers.js';

const owner: A2uiSurfaceOwner = { kind: 'session', sessionId: 'sess-test' };
const single: ApplyOptions = { owner, reassignOwner: false, numbered: false, mayChange: () => true };
const batch: ApplyOptions = { owner, reassignOwner: false, numbered: true, mayChange: () => true };

function table(overrides: Partial<A2uiLimits> = {}, now?: () => number) {
  const limits = resolveLimits(overrides);
  return { limits, surfaces: new SurfaceTable(limits, now) };
}

const apply = (surfaces: SurfaceTable, ...envelopes: Record<string, unknown>[]) => surfaces.apply(envelopes, batch).map((step) => step.result);

function rejects(run: () => unknown, code: number, kind?: string, pattern?: RegExp): RpcError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof RpcError, `expected an RpcError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (kind) assert.equal(error.data?.kind, kind, error.message);
    if (pattern) assert.match(error.message, pattern);
    return error;
  }
  assert.fail('expected the call to be refused');
}

describe('envelope kinds (docs/protocol.md#a2ui-apply)', () => {
  it('createSurface makes an empty surface at revision 1 owned by the caller, keeping theme and sendDataModel', () => {
    const { surfaces, limits } = table();
    const [result] = apply(surfaces, create('s1', { theme: { primaryColor: '#00f' }, sendDataModel: true }));
    assert.equal(result!.deleted, false);
    const surface = result!.surface!;
    assert.deepEqual(
      { ...surface, createdAt: 0, updatedAt: 0, expiresAt: 0 },
      {
        surfaceId: 's1',
        catalogId: A2UI_CATALOG_IDS[0],
        theme: { primaryColor: '#00f' },
        sendDataModel: true,
        components: {},
        dataModel: {},
        owner,
        revision: 1,
        createdAt: 0,
        updatedAt: 0,
        expiresAt: 0,
      },
    );
    assert.equal(Date.parse(surface.expiresAt) - Date.parse(surface.updatedAt), limits.surfaceTtlSeconds * 1000);
    assert.deepEqual(surfaces.get('s1'), surface);
  });

  it('createSurface for a live id resets it (components, data model, revision)', () => {
    const { surfaces } = table();
    apply(surfaces, create('s1'), components('s1', [text('root')]), dataModel('s1', '/a', 1));
    const [again] = apply(surfaces, create('s1', { catalogId: 'basic' }));
    assert.equal(again!.surface!.revision, 1);
    assert.deepEqual(again!.surface!.components, {});
    assert.deepEqual(again!.surface!.dataModel, {});
    assert.equal(again!.surface!.catalogId, 'basic');
  });

  it('updateComponents upserts by id, keeps unknown properties, and removes tombstoned components', () => {
    const { surfaces } = table();
    apply(surfaces, create('s1'));
    const button = {
      id: 'go',
      component: 'Button',
      child: 'go-label',
      action: { event: { name: 'go', context: { x: { path: '/x' } } } },
      accessibility: { label: 'Go' },
    };
    let [result] = apply(
      surfaces,
      components('s1', [{ id: 'root', component: 'Column', children: ['go', 'note'] }, button, text('go-label', 'Go'), text('note', { path: '/note' })]),
    );
    assert.equal(result!.surface!.revision, 2);
    assert.deepEqual(result!.surface!.components.go, button);
    [result] = apply(surfaces, components('s1', [text('note', 'replaced'), { id: 'go-label', component: null }]));
    assert.equal(result!.surface!.revision, 3);
    assert.deepEqual(Object.keys(result!.surface!.components).sort(), ['go', 'note', 'root']);
    assert.equal(result!.surface!.components.note!.text, 'replaced');
  });

  it('updateDataModel writes at a JSON Pointer, deletes when value is omitted, and replaces or resets the whole model at the root', () => {
    const { surfaces } = table();
    apply(surfaces, create('s1'));
    const model = (...envelopes: Record<string, unknown>[]) => apply(surfaces, ...envelopes).at(-1)!.surface!.dataModel;
    assert.deepEqual(model(dataModel('s1', undefined, { user: { name: 'Ada' }, tags: ['a'] })), { user: { name: 'Ada' }, tags: ['a'] });
    assert.deepEqual(model(dataModel('s1', '/user/email', 'ada@example.com')), { user: { name: 'Ada', email: 'ada@example.com' }, tags: ['a'] });
    assert.deepEqual(model(dataModel('s1', '/tags/-', 'b'), dataModel('s1', '/tags/0', 'z')), {
      user: { name: 'Ada', email: 'ada@example.com' },
      tags: ['z', 'b'],
    });
    assert.deepEqual(model(dataModel('s1', '/new/deep/key', true)).new, { deep: { key: true } });
    assert.deepEqual(model(dataModel('s1', '/user/name')).user, { email: 'ada@example.com' });
    assert.deepEqual(model(dataModel('s1', '/tags/0')).tags, ['b']);
    assert.deepEqual(model(dataModel('s1', '/no/such/key')).tags, ['b'], 'removing a missing key changes nothing');
    assert.deepEqual(model(dataModel('s1', '/', { fresh: 1 })), { fresh: 1 });
    assert.deepEqual(model(dataModel('s1', undefined)), {});
    assert.deepEqual(model(dataModel('s1', '/a~1b/c~0d', 1)), { 'a/b': { 'c~d': 1 } });
  });

  it('never mutates a record it handed out', () => {
    const { surfaces } = table();
    const [first] = apply(surfaces, create('s1'), dataModel('s1', undefined, { list: [1], user: { name: 'a' } }));
    void first;
    const before = surfaces.get('s1')!;
    const snapshot = structuredClone(before);
    apply(surfaces, dataModel('s1', '/list/-', 2), dataModel('s1', '/user/name', 'b'), components('s1', [text('root')]));
    assert.deepEqual(before, snapshot);
  });

  it('a key named __proto__ is stored as data and pollutes nothing', () => {
    const { surfaces } = table();
    apply(surfaces, create('s1'));
    const [result] = apply(surfaces, dataModel('s1', '/__proto__/polluted', true));
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.deepEqual(JSON.parse(JSON.stringify(result!.surface!.dataModel)), { ['__proto__']: { polluted: true } });
    const [withComponent] = apply(surfaces, components('s1', [{ id: '__proto__', component: 'Text', text: 'x' }]));
    assert.deepEqual(Object.keys(withComponent!.surface!.components), ['__proto__']);
  });

  it('deleteSurface removes a live surface and reports deleted: false for an unknown one', () => {
    const { surfaces } = table();
    apply(surfaces, create('s1'));
    assert.deepEqual(apply(surfaces, remove('s1')), [{ surfaceId: 's1', deleted: true }]);
    assert.equal(surfaces.get('s1'), undefined);
    assert.deepEqual(apply(surfaces, remove('s1')), [{ surfaceId: 's1', deleted: false }]);
  });

  it('accepts envelopes without version (earlier v0.9 drafts) but refuses another version', () => {
    const { surfaces } = table();
    apply(surfaces, { createSurface: { surfaceId: 's1', catalogId: 'basic' } });
    rejects(() => apply(surfaces, { version: 'v0.8', deleteSurface: { surfaceId: 's1' } }), -32602, undefined, /version must be "v0\.9"/);
  });

  it('refuses malformed envelopes with -32602 naming the problem', () => {
    const { surfaces } = table();
    apply(surfaces, create('s1'));
    rejects(() => apply(surfaces, { version: 'v0.9' }), -32602, undefined, /exactly one of createSurface/);
    rejects(() => apply(surfaces, { ...remove('s1'), ...create('s1') }), -32602, undefined, /found createSurface, deleteSurface/);
    rejects(() => apply(surfaces, { ...remove('s1'), extra: 1 }), -32602, undefined, /unknown key 'extra'/);
    rejects(() => apply(surfaces, components('s1', [])), -32602, undefined, /at least one component/);
    rejects(() => apply(surfaces, components('s1', [{ id: 'x', component: null, text: 'no' }])), -32602, undefined, /tombstone/);
    rejects(() => apply(surfaces, components('s1', [{ id: 'x', component: 'Text', children: 5 }])), -32602, undefined, /children must be/);
    rejects(() => apply(surfaces, components('s1', [{ id: 'x' }])), -32602, undefined, /component is missing/);
    rejects(() => apply(surfaces, { version: 'v0.9', createSurface: { surfaceId: '', catalogId: 'basic' } }), -32602, undefined, /surfaceId must not be empty/);
  });

  it('refuses updates to unknown surfaces with -32010', () => {
    const { surfaces } = table();
    rejects(() => apply(surfaces, components('ghost', [text('root')])), -32010, 'not_found', /unknown surface 'ghost'/);
    rejects(() => apply(surfaces, dataModel('ghost', '/a', 1)), -32010, 'not_found');
  });

  it('refuses malformed JSON Pointers and impossible writes with -32602', () => {
    const { surfaces } = table();
    apply(surfaces, create('s1'), dataModel('s1', undefined, { list: [1, 2], name: 'x' }));
    rejects(() => apply(surfaces, dataModel('s1', 'user/name', 1)), -32602, undefined, /not a valid JSON Pointer: it must start with "\/"/);
    rejects(() => apply(surfaces, dataModel('s1', '/a~2b', 1)), -32602, undefined, /"~" must be followed by 0 or 1/);
    rejects(() => apply(surfaces, dataModel('s1', '/list/5', 1)), -32602, undefined, /past the end of the array/);
    rejects(() => apply(surfaces, dataModel('s1', '/list/x', 1)), -32602, undefined, /as an index/);
    rejects(() => apply(surfaces, dataModel('s1', '/list/01', 1)), -32602, undefined, /as an index/);
    rejects(() => apply(surfaces, dataModel('s1', '/name/first', 1)), -32602, undefined, /holds string/);
    rejects(() => apply(surfaces, dataModel('s1', undefined, [1, 2])), -32602, undefined, /value must be an object/);
    assert.deepEqual(surfaces.get('s1')!.dataModel, { list: [1, 2], name: 'x' });
    assert.equal(surfaces.get('s1')!.revision, 2);
  });
});

describe('basic catalog (docs/protocol.md#a2ui-capabilities)', () => {
  it('accepts every published catalog id and the alias "basic"', () => {
    const { surfaces } = table();
    for (const [index, catalogId] of A2UI_CATALOG_IDS.entries()) apply(surfaces, create(`s${index}`, { catalogId }));
    assert.equal(surfaces.live().length, A2UI_CATALOG_IDS.length);
  });

  it('refuses any other catalog with UnsupportedCatalog (-32602)', () => {
    const { surfaces } = table();
    const error = rejects(
      () => apply(surfaces, create('s1', { catalogId: 'https://example.com/my_catalog.json' })),
      -32602,
      'UnsupportedCatalog',
      /catalogId 'https:\/\/example\.com\/my_catalog\.json' is not supported/,
    );
    assert.deepEqual(error.data?.allowed, A2UI_CATALOG_IDS);
    assert.equal(surfaces.live().length, 0);
  });

  it('accepts all 24 component types and refuses others with UnsupportedComponent (-32602)', () => {
    const { surfaces } = table();
    apply(surfaces, create('s1'));
    const [result] = apply(
      surfaces,
      components(
        's1',
        A2UI_COMPONENTS.map((type) => ({ id: `c-${type}`, component: type })),
      ),
    );
    assert.equal(Object.keys(result!.surface!.components).length, 24);
    const error = rejects(
      () => apply(surfaces, components('s1', [text('fine'), { id: 'blink', component: 'Marquee' }])),
      -32602,
      'UnsupportedComponent',
      /component type 'Marquee'/,
    );
    assert.equal(error.data?.field, 'updateComponents.components.1.component');
    rejects(() => apply(surfaces, components('s1', [{ id: 'lower', component: 'text' }])), -32602, 'UnsupportedComponent');
    assert.equal(surfaces.get('s1')!.components.fine, undefined, 'nothing of a refused envelope is applied');
  });
});

describe('limits (docs/protocol.md#type-a2uilimits), each just under and just over', () => {
  it('maxSurfaces: 256 live surfaces, not 257; re-creating one of them is fine when full', () => {
    const { surfaces, limits } = table();
    assert.equal(limits.maxSurfaces, 256);
    for (let i = 0; i < 256; i++) apply(surfaces, create(`s${i}`));
    rejects(() => apply(surfaces, create('one-too-many')), -32013, 'LimitExceeded', /maxSurfaces \(256\)/);
    apply(surfaces, create('s7'));
    apply(surfaces, remove('s8'));
    apply(surfaces, create('now-fits'));
    assert.equal(surfaces.live().length, 256);
  });

  it('maxComponentsPerSurface: 1000 components, not 1001', () => {
    const { surfaces } = table();
    apply(surfaces, create('s1'));
    const many = Array.from({ length: 1000 }, (_, i) => text(`c${i}`));
    apply(surfaces, components('s1', many));
    apply(surfaces, components('s1', [text('c999', 'updated in place')]));
    const error = rejects(
      () => apply(surfaces, components('s1', [text('c1000')])),
      -32013,
      'LimitExceeded',
      /1001 components, over maxComponentsPerSurface \(1000\)/,
    );
    assert.equal(error.data?.limit, 'maxComponentsPerSurface');
    assert.equal(Object.keys(surfaces.get('s1')!.components).length, 1000);
  });

  it('maxEnvelopeBytes: exactly 1 MiB serialised is accepted, one byte more is not', () => {
    const { surfaces, limits } = table();
    apply(surfaces, create('s1'));
    const sized = (bytes: number) => {
      const value: Record<string, string> = {};
      for (let i = 0; i < 17; i++) value[`k${i}`] = 'x'.repeat(60_000);
      value.pad = '';
      const envelope = dataModel('s1', '/blob', value);
      value.pad = 'x'.repeat(bytes - jsonBytes(envelope));
      assert.equal(jsonBytes(envelope), bytes);
      return envelope;
    };
    // The data model is wrapped deeper in the envelope, so it stays under its own (equal) limit.
    apply(surfaces, sized(limits.maxEnvelopeBytes));
    rejects(() => apply(surfaces, sized(limits.maxEnvelopeBytes + 1)), -32013, 'LimitExceeded', /1048577 bytes serialised, over maxEnvelopeBytes/);
  });

  it('maxDataModelBytes: a model of exactly 1 MiB is accepted, one byte more is not', () => {
    const { surfaces, limits } = table();
    apply(surfaces, create('s1'));
    const bulk: Record<string, string> = {};
    for (let i = 0; i < 17; i++) bulk[`k${i}`] = 'y'.repeat(60_000);
    apply(surfaces, dataModel('s1', undefined, bulk));
    const tail = (extra: number) => 'z'.repeat(limits.maxDataModelBytes - jsonBytes({ ...bulk, tail: '' }) + extra);
    rejects(() => apply(surfaces, dataModel('s1', '/tail', tail(1))), -32013, 'LimitExceeded', /over maxDataModelBytes \(1048576\)/);
    const [result] = apply(surfaces, dataModel('s1', '/tail', tail(0)));
    assert.equal(jsonBytes(result!.surface!.dataModel), limits.maxDataModelBytes);
  });

  it('maxSurfaceBytes (ours): a surface of exactly 4 MiB serialised is accepted, one byte more is not', () => {
    const { surfaces, limits } = table();
    assert.equal(limits.maxSurfaceBytes, 4 * 1024 * 1024);
    let [latest] = apply(surfaces, create('s1'));
    for (let i = 0; limits.maxSurfaceBytes - jsonBytes(latest!.surface) > 65_000; i++)
      [latest] = apply(surfaces, components('s1', [text(`bulk${i}`, 'y'.repeat(60_000))]));
    const [base] = apply(surfaces, components('s1', [text('tail', '')]));
    const room = limits.maxSurfaceBytes - jsonBytes(base!.surface);
    const error = rejects(
      () => apply(surfaces, components('s1', [text('tail', 'z'.repeat(room + 1))])),
      -32013,
      'LimitExceeded',
      /over maxSurfaceBytes \(4194304\)/,
    );
    assert.equal(error.data?.limit, 'maxSurfaceBytes');
    const [result] = apply(surfaces, components('s1', [text('tail', 'z'.repeat(room))]));
    assert.equal(jsonBytes(result!.surface), limits.maxSurfaceBytes);
  });

  it('maxStringBytes: a 64 KiB string is accepted, 64 KiB + 1 byte is not (bytes, not characters)', () => {
    const { surfaces, limits } = table();
    apply(surfaces, create('s1'));
    apply(surfaces, components('s1', [text('root', 'a'.repeat(limits.maxStringBytes))]));
    rejects(
      () => apply(surfaces, components('s1', [text('root', 'a'.repeat(limits.maxStringBytes + 1))])),
      -32013,
      'LimitExceeded',
      /65537-byte string at \/updateComponents\/components\/0\/text/,
    );
    apply(surfaces, dataModel('s1', '/accented', 'é'.repeat(limits.maxStringBytes / 2)));
    rejects(() => apply(surfaces, dataModel('s1', '/accented', 'é'.repeat(limits.maxStringBytes / 2) + 'a')), -32013, 'LimitExceeded');
    rejects(() => apply(surfaces, dataModel('s1', undefined, { ['k'.repeat(limits.maxStringBytes + 1)]: 1 })), -32013, 'LimitExceeded', /\(a key\)/);
  });

  it('maxDepth: 32 levels of nesting are accepted, 33 are not, in envelopes and in the data model', () => {
    const { surfaces, limits } = table();
    assert.equal(limits.maxDepth, 32);
    apply(surfaces, create('s1'));
    // envelope (1) > updateDataModel (2) > value (3…): a value 30 levels deep makes 32.
    apply(surfaces, dataModel('s1', '/v', nested(30)));
    rejects(() => apply(surfaces, dataModel('s1', '/v', nested(31))), -32013, 'LimitExceeded', /deeper than maxDepth \(32 levels\)/);
    // Written at a deeper path the same value makes the model itself too deep.
    apply(surfaces, dataModel('s1', '/a/b', nested(30)));
    const error = rejects(() => apply(surfaces, dataModel('s1', '/a/b/c', nested(30))), -32013, 'LimitExceeded', /the data model nests deeper/);
    assert.equal(error.data?.limit, 'maxDepth');
  });

  it('refuses a very deep envelope without walking all of it', () => {
    const { surfaces } = table();
    apply(surfaces, create('s1'));
    rejects(() => apply(surfaces, dataModel('s1', '/v', nested(100_000))), -32013, 'LimitExceeded');
  });

  it('surfaceTtlSeconds: a surface lives until TTL after its last update, then is invisible and reaped', () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const { surfaces } = table({ surfaceTtlSeconds: 10 }, () => now);
    apply(surfaces, create('s1'), create('s2'));
    now += 9_999;
    apply(surfaces, dataModel('s2', '/touched', true));
    assert.ok(surfaces.get('s1'), 'just under the TTL');
    now += 1;
    assert.equal(surfaces.get('s1'), undefined, 'at the TTL');
    assert.deepEqual(
      surfaces.live().map((s) => s.surfaceId),
      ['s2'],
      'the update renewed s2',
    );
    rejects(() => apply(surfaces, dataModel('s1', '/a', 1)), -32010);
    assert.deepEqual(surfaces.removeExpired(), ['s1']);
    assert.deepEqual(surfaces.removeExpired(), []);
    now += 10_000;
    assert.deepEqual(surfaces.removeExpired(), ['s2']);
  });
});

describe('batches are all-or-nothing', () => {
  it('applies later envelopes on top of earlier ones of the same batch', () => {
    const { surfaces } = table();
    const results = apply(surfaces, create('s1'), components('s1', [text('root')]), dataModel('s1', '/x', 1), remove('s1'), create('s1'));
    assert.deepEqual(
      results.map((r) => [r.deleted, r.surface?.revision]),
      [
        [false, 1],
        [false, 2],
        [false, 3],
        [true, undefined],
        [false, 1],
      ],
    );
    assert.deepEqual(surfaces.get('s1')!.components, {});
  });

  it('a failing envelope applies none of the batch and names its index', () => {
    const { surfaces } = table();
    apply(surfaces, create('keep'), components('keep', [text('root', 'before')]));
    const error = rejects(
      () => apply(surfaces, create('s1'), components('keep', [text('root', 'after')]), remove('keep'), components('s1', [{ id: 'x', component: 'Blink' }])),
      -32602,
      'UnsupportedComponent',
      /^envelope 3: component type 'Blink'/,
    );
    assert.equal(error.data?.index, 3);
    assert.equal(surfaces.get('s1'), undefined);
    assert.equal(surfaces.get('keep')!.components.root!.text, 'before');
    assert.equal(surfaces.get('keep')!.revision, 2);
  });

  it('a single apply names no index', () => {
    const { surfaces } = table();
    rejects(() => surfaces.apply([components('nope', [text('root')])], single), -32010, undefined, /^unknown surface/);
  });
});
