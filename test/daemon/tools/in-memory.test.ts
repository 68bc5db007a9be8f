import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { MAX_TOOLS_PER_SESSION } from '../../../src/protocol/tools.js';
import { inMemoryFixture, openInMemory } from '../../helpers/in-memory-channel.js';
import { journalEvents } from '../../helpers/journal.js';
import { rejectsWith } from '../../helpers/rpc.js';
import { waitFor } from '../../helpers/wait.js';

const LOOKUP = {
  name: 'lookup',
  description: 'Looks a city up',
  parameters: { type: 'object', properties: { city: { type: 'string', maxLength: 20 } } },
} as const;

/** tools.register / tools.unregister / tools.list and the checks `infer` makes before any model runs (issue 23). */
describe('tools registry (in memory)', () => {
  const fixture = inMemoryFixture();

  it('registers, lists, replaces by name and unregisters a session’s tools', async () => {
    const { client } = await openInMemory(fixture.state);
    const registered = await client.call('tools.register', { tools: [LOOKUP, { name: 'delete_file', risk: 'high', timeout_ms: 5000 }] });
    assert.deepEqual(
      registered.tools.map(({ name, risk, timeout_ms, description, parameters }) => ({ name, risk, timeout_ms, description, parameters })),
      [
        { name: 'lookup', risk: 'low', timeout_ms: 300_000, description: 'Looks a city up', parameters: LOOKUP.parameters },
        { name: 'delete_file', risk: 'high', timeout_ms: 5000, description: null, parameters: null },
      ],
    );
    const sessionId = registered.tools[0]!.session_id;
    assert.match(sessionId, /^sess-[0-9a-f]{12}$/);

    await client.call('tools.register', { tools: [{ name: 'lookup', description: 'Looks it up again' }] });
    const { tools } = await client.call('tools.list', {});
    assert.deepEqual(
      tools.map((tool) => [tool.name, tool.description, tool.parameters]),
      [
        ['lookup', 'Looks it up again', null],
        ['delete_file', null, null],
      ],
    );

    assert.deepEqual(await client.call('tools.unregister', { names: ['delete_file', 'never_registered'] }), { unregistered: ['delete_file'] });
    assert.deepEqual(
      (await client.call('tools.list', {})).tools.map((tool) => tool.name),
      ['lookup'],
    );
    client.close();
  });

  it('refuses bad names, schemas and options with -32602 naming the field', async () => {
    const { client } = fixture;
    const register = (tool: Record<string, unknown>) => client.request('tools.register', { tools: [tool] });
    const bad = [
      [{ name: 'has space' }, /param 'tools\.0\.name'.*1-64 letters, digits, underscores or hyphens/, 'tools.0.name'],
      [{ name: 'x'.repeat(65) }, /param 'tools\.0\.name'/, 'tools.0.name'],
      [{ name: 'a', parameters: { type: 'string' } }, /param 'tools\.0\.parameters'.*JSON Schema of an object/, 'tools.0.parameters'],
      [
        { name: 'a', parameters: { type: 'object', properties: { n: { type: 'number', minimum: 1 } } } },
        /unknown param 'minimum' in 'tools\.0\.parameters\.properties\.n'.*allowed: type, description, properties/,
        'tools.0.parameters.properties.n',
      ],
      [
        { name: 'a', parameters: { type: 'object', properties: { d: { type: 'string', format: 'email' } } } },
        /param 'tools\.0\.parameters\.properties\.d\.format'.*'date-time', 'time' or 'date'/,
        'tools.0.parameters.properties.d.format',
      ],
      [{ name: 'a', risk: 'medium' }, /param 'tools\.0\.risk'.*'low' or 'high'/, 'tools.0.risk'],
      [{ name: 'a', timeout_ms: 0 }, /param 'tools\.0\.timeout_ms'.*at least 1/, 'tools.0.timeout_ms'],
      [{ name: 'a', handler: 'x' }, /unknown param 'handler' in 'tools\.0'.*allowed: name, description, parameters, risk, timeout_ms/, 'tools.0'],
    ] as const;
    for (const [tool, message, field] of bad) {
      const error = await rejectsWith(register(tool), ErrorCode.InvalidParams, message);
      assert.equal(error.data?.field, field, JSON.stringify(tool));
    }
    const twice = await rejectsWith(
      client.request('tools.register', { tools: [{ name: 'a' }, { name: 'a' }] }),
      ErrorCode.InvalidParams,
      /tools\.1\.name.*repeats 'a'/,
    );
    assert.equal(twice.data?.field, 'tools.1.name');
    await rejectsWith(client.request('tools.register', { tools: [] }), ErrorCode.InvalidParams, /param 'tools'.*at least one tool/);
    await rejectsWith(client.request('tools.unregister', { names: ['bad name'] }), ErrorCode.InvalidParams, /param 'names\.0'/);
    assert.deepEqual((await client.call('tools.list', {})).tools, [], 'nothing was registered by the refused calls');
  });

  it(`holds at most ${MAX_TOOLS_PER_SESSION} tools per session, all or nothing`, async () => {
    const { client } = await openInMemory(fixture.state);
    const batch = (from: number, count: number) => Array.from({ length: count }, (_, i) => ({ name: `t${from + i}` }));
    await client.call('tools.register', { tools: batch(0, MAX_TOOLS_PER_SESSION - 1) });
    await rejectsWith(client.call('tools.register', { tools: batch(1000, 2) }), ErrorCode.LimitExceeded, /at most 128 tools; it has 127 and this call adds 2/);
    assert.equal((await client.call('tools.list', {})).tools.length, MAX_TOOLS_PER_SESSION - 1);
    await client.call('tools.register', { tools: [...batch(0, 5), ...batch(1000, 1)] });
    assert.equal((await client.call('tools.list', {})).tools.length, MAX_TOOLS_PER_SESSION, 're-registered names do not count twice');
    client.close();
  });

  it('shows a client its own tools and a host every session’s with session_id; a session’s tools go with it', async () => {
    const owner = await openInMemory(fixture.state);
    const other = await openInMemory(fixture.state);
    const host = await openInMemory(fixture.state, { asHost: true });
    await owner.client.call('tools.register', { tools: [LOOKUP] });
    await other.client.call('tools.register', { tools: [{ name: 'other_tool' }] });
    assert.deepEqual(
      (await other.client.call('tools.list', {})).tools.map((tool) => tool.name),
      ['other_tool'],
    );
    const all = (await host.client.call('tools.list', {})).tools;
    assert.deepEqual(
      all.filter((tool) => [owner.session.id, other.session.id].includes(tool.session_id)).map((tool) => [tool.session_id, tool.name]),
      [
        [owner.session.id, 'lookup'],
        [other.session.id, 'other_tool'],
      ],
    );

    owner.client.close();
    await waitFor(
      async () => !(await host.client.call('tools.list', {})).tools.some((tool) => tool.session_id === owner.session.id),
      'the owner’s tools to go',
    );
    const unregistered = journalEvents(fixture.state.journal, 'tools_unregistered').find((event) => event.session_id === owner.session.id);
    assert.deepEqual(unregistered?.data, { names: ['lookup'], reason: 'owner_disconnected' });
    other.client.close();
    host.client.close();
  });

  it('refuses infer tools a session has not registered, another session’s included, before any model runs', async () => {
    const owner = await openInMemory(fixture.state);
    const other = await openInMemory(fixture.state);
    await owner.client.call('tools.register', { tools: [LOOKUP] });
    const prompt = { prompt: 'What is the weather in Paris?' };
    for (const method of ['infer', 'infer_stream'] as const) {
      const error = await rejectsWith(
        other.client.call(method, { ...prompt, tools: ['lookup'] }),
        ErrorCode.InvalidParams,
        /unknown tool 'lookup' in 'tools'; register it with tools\.register on this connection first/,
      );
      assert.equal(error.data?.field, 'tools.0');
    }
    await rejectsWith(owner.client.call('infer', { ...prompt, tools: ['lookup', 'missing'] }), ErrorCode.InvalidParams, /unknown tool 'missing'/);
    await rejectsWith(owner.client.request('infer', { ...prompt, tool_choice: 'required' }), ErrorCode.InvalidParams, /param 'tool_choice'.*needs 'tools'/);
    await rejectsWith(owner.client.request('infer', { ...prompt, max_tool_rounds: 2 }), ErrorCode.InvalidParams, /param 'max_tool_rounds'.*needs 'tools'/);
    await rejectsWith(
      owner.client.request('infer', { ...prompt, tools: ['lookup'], tool_choice: { name: 'other' } }),
      ErrorCode.InvalidParams,
      /param 'tool_choice\.name'.*'other' is not in 'tools'/,
    );
    await rejectsWith(
      owner.client.request('infer', { ...prompt, tools: ['lookup'], tool_choice: 'sometimes' }),
      ErrorCode.InvalidParams,
      /param 'tool_choice'/,
    );
    await rejectsWith(
      owner.client.request('infer', { ...prompt, tools: ['lookup', 'lookup'] }),
      ErrorCode.InvalidParams,
      /param 'tools\.1'.*names 'lookup' twice/,
    );
    await rejectsWith(
      owner.client.request('infer', { ...prompt, tools: ['lookup'], max_tool_rounds: 0 }),
      ErrorCode.InvalidParams,
      /param 'max_tool_rounds'.*at least 1/,
    );
    await rejectsWith(
      owner.client.request('infer', { ...prompt, tools: [{ type: 'function', function: { name: 'lookup' } }] }),
      ErrorCode.InvalidParams,
      /param 'tools\.0'.*name of a tool/,
    );
    await rejectsWith(
      owner.client.request('infer', { ...prompt, tools: ['lookup'], response_format: { type: 'json_object' } }),
      ErrorCode.InvalidParams,
      /param 'response_format'.*cannot be combined with 'tools'/,
    );
    await rejectsWith(fixture.state.inference.generate({ ...prompt, tools: ['lookup'] }), ErrorCode.InvalidParams, /generate cannot call tools/);
    assert.equal(fixture.state.inference.status().state, 'idle', 'no engine was started for refused calls');
    owner.client.close();
    other.client.close();
  });
});
