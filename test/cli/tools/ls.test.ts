import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CarClient } from '../../../src/client/node.js';
import type { ToolInfo } from '../../../src/protocol/tools.js';
import { runCli } from '../../helpers/cli.js';
import { startDaemon, type DaemonProcess } from '../../helpers/daemon.js';
import { WEATHER, forcing } from '../../daemon/tools/support.js';

/** `car tools ls` against a real daemon process, and what that daemon logs of a tool call. */
describe('car tools ls', () => {
  let daemon: DaemonProcess;
  let client: CarClient;

  before(async () => {
    daemon = await startDaemon();
    client = await daemon.connect();
  });
  after(async () => {
    client.close();
    await daemon.stop();
  });

  it('says how to register tools when there are none', async () => {
    const listed = await runCli(['tools', 'ls'], daemon.env);
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal(listed.stdout, 'no tools registered; a client registers them with tools.register (client.tools.register in the typed client)\n');
  });

  it("lists every session's tools as a table and as JSON", async () => {
    await client.tools.register('weather', WEATHER, () => ({ temperature: 21 }));
    await client.tools.register('delete_file', { risk: 'high', timeout_ms: 1500 }, () => 'deleted');
    const self = (await client.call('sessions.list', {})).sessions.find((session) => session.is_self)!.id;

    const human = await runCli(['tools', 'ls'], daemon.env);
    assert.equal(human.code, 0, human.stderr);
    const lines = human.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^SESSION\s+NAME\s+RISK\s+TIMEOUT\s+DESCRIPTION$/);
    assert.match(lines[1]!, new RegExp(`^${self}\\s+weather\\s+low\\s+300s\\s+Tells the weather in a city$`));
    assert.match(lines[2]!, new RegExp(`^${self}\\s+delete_file\\s+high\\s+1.5s\\s+-$`));

    const json = await runCli(['tools', 'ls', '--json'], daemon.env);
    assert.equal(json.code, 0, json.stderr);
    const { tools } = JSON.parse(json.stdout) as { tools: ToolInfo[] };
    assert.deepEqual(
      tools.map(({ name, session_id, risk, timeout_ms }) => ({ name, session_id, risk, timeout_ms })),
      [
        { name: 'weather', session_id: self, risk: 'low', timeout_ms: 300_000 },
        { name: 'delete_file', session_id: self, risk: 'high', timeout_ms: 1500 },
      ],
    );
    assert.deepEqual(tools[0]!.parameters, WEATHER.parameters);
  });

  it("logs a call's tool name, duration and outcome, never its parameters or result", async () => {
    await client.tools.register('weather', WEATHER, () => ({ temperature: 21 }));
    const [call] = (await client.call('infer', forcing('weather'))).tool_calls;
    const line = daemon
      .logs()
      .split('\n')
      .find((logged) => logged.includes(`call_id=${call!.id}`));
    assert.match(line ?? '', new RegExp(`INFO  tool call finished session=sess-[0-9a-f]{12} call_id=${call!.id} tool=weather duration_ms=\\d+ outcome=ok$`));
    assert.ok(!/city|temperature/.test(daemon.logs()), 'no parameter or result in the log');
  });
});
