import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import type { FloodKind } from '../../../chaos/flood.js';
import { startFlood } from '../../../chaos/sign-in-probe.js';
import { CarClient } from '../../../src/client/node.js';
import type { ConnectionStatus } from '../../../src/protocol/core.js';
import { startDaemon, type DaemonProcess } from '../../helpers/daemon.js';

const CAP = 16;

/** Signs in with the token as the CLI does; generous deadlines, since timings belong to chaos R7. */
async function signIn(daemon: DaemonProcess): Promise<ConnectionStatus> {
  const client = await CarClient.connect({ url: daemon.url, token: daemon.hostToken(), asHost: true, connectTimeoutMs: 20_000 });
  try {
    return (await client.call('daemon.status', {}, { timeoutMs: 20_000 })).connections!;
  } finally {
    client.close();
  }
}

/** Issue 26, item 3: no flood of connections that never sign in keeps a client with the token out. */
describe('floods of connections that never sign in', () => {
  let daemon: DaemonProcess;
  before(async () => {
    daemon = await startDaemon({ env: { CAR_MAX_PREAUTH_CONNECTIONS: String(CAP) } });
  });
  after(async () => {
    await daemon.stop();
  });

  const floods: [string, FloodKind, number, boolean][] = [
    ['silent TCP at the cap, reopened as they close', 'silent', CAP, true],
    ['silent TCP, ten times the cap at once', 'silent', 10 * CAP, false],
    ['keep-alive HTTP with a slow second request, four times the cap, reopened', 'http-keepalive', 4 * CAP, true],
    ['unsigned WebSockets, twice the cap, reopened', 'ws-unsigned', 2 * CAP, true],
  ];
  for (const [name, kind, count, reopen] of floods) {
    it(`lets the token in during ${name}, closing the oldest pre-auth connections instead`, async () => {
      const flood = await startFlood(kind, daemon.port, count, reopen);
      try {
        for (let attempt = 0; attempt < 3; attempt++) {
          const status = await signIn(daemon);
          assert.ok(status.pre_auth <= 2 * CAP, `${status.pre_auth} pre-auth connections`);
        }
        if (count > CAP) assert.ok((await signIn(daemon)).evicted_total > 0, 'the flood displaced itself');
      } finally {
        flood.stop();
      }
    });
  }

  it('closes the oldest unsigned WebSocket, not a newer one, when a flood of them arrives', async () => {
    const oldest = new WebSocket(daemon.url);
    oldest.on('error', () => undefined);
    await new Promise((resolve) => oldest.once('open', resolve));
    const closed = new Promise<[number, string]>((resolve) => oldest.once('close', (code, reason) => resolve([code, reason.toString()])));
    const flood = await startFlood('ws-unsigned', daemon.port, CAP);
    try {
      assert.deepEqual(await closed, [1008, 'too many connections not signed in; the oldest was closed']);
    } finally {
      flood.stop();
    }
  });
});
