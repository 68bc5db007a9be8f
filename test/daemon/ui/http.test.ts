import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { handleHttpRequest } from '../../../src/daemon/server/http-ui.js';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(port: number, path: string, options: { method?: string; host?: string; address?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: options.address ?? '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.host ? { host: options.host } : {} },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** HTTP (docs/protocol.md#transport): the page and its assets on the daemon's port. */
describe('the daemon serves the browser UI over plain HTTP', () => {
  let daemon: InProcessDaemon;
  let port: number;
  before(async () => {
    daemon = await startInProcess({}, { host: '0.0.0.0' });
    port = Number(new URL(daemon.url).port);
  });
  after(async () => {
    await daemon.close();
  });

  it('serves the page at / with a strict Content-Security-Policy', async () => {
    const page = await get(port, '/');
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(page.body, /<script type="module" src="\/app\.js"><\/script>/);
    const csp = String(page.headers['content-security-policy']);
    for (const directive of [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "connect-src 'self'",
      "frame-ancestors 'none'",
      "base-uri 'none'",
    ]) {
      assert.ok(csp.includes(directive), `CSP has ${directive}: ${csp}`);
    }
    assert.ok(!csp.includes('unsafe-inline') && !csp.includes('unsafe-eval'), csp);
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    assert.equal(page.headers['referrer-policy'], 'no-referrer');
  });

  it('serves the bundle and the audio worklet from the package, with the same policy', async () => {
    for (const asset of ['/app.js', '/pcm-worklet.js', '/app.css']) {
      const answer = await get(port, asset);
      assert.equal(answer.status, 200, asset);
      assert.ok(answer.body.length > 100, `${asset} has content`);
      assert.ok(String(answer.headers['content-security-policy']).includes("default-src 'none'"));
    }
    assert.match(String((await get(port, '/app.js')).headers['content-type']), /^text\/javascript/);
    assert.ok(!(await get(port, '/app.js')).body.match(/https?:\/\/(cdn|unpkg|fonts\.googleapis)/), 'no CDN in the bundle');
  });

  it('keeps the WebSocket-only answer for other paths and methods', async () => {
    for (const path of ['/nothing.js', '/../package.json', '/%2e%2e/package.json', '/index.html/x', '/.hidden']) {
      const answer = await get(port, path);
      assert.equal(answer.status, 426, path);
      assert.match(answer.body, /connect with a WebSocket client/);
    }
    assert.equal((await get(port, '/', { method: 'POST' })).status, 426);
    const head = await get(port, '/', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
  });

  it('answers 400 to a request target that does not parse as a path, and keeps serving', async () => {
    // `//` reads as a URL with an empty host; the parse used to throw and leave the request unanswered.
    for (const path of ['//', '//[', '//:99999']) {
      const answer = await get(port, path);
      assert.equal(answer.status, 400, path);
      assert.match(answer.body, /request target is not a path/);
    }
    assert.equal((await get(port, '/')).status, 200);
  });

  it('refuses a Host header that is not a loopback name (DNS rebinding)', async () => {
    const answer = await get(port, '/', { host: `evil.example:${port}` });
    assert.equal(answer.status, 403);
    assert.equal((await get(port, '/', { host: `localhost:${port}` })).status, 200);
  });

  it('serves loopback peers only', { skip: !nonLoopbackAddress() && 'no non-loopback IPv4 interface on this machine' }, async () => {
    const answer = await get(port, '/', { address: nonLoopbackAddress()!, host: `127.0.0.1:${port}` });
    assert.equal(answer.status, 403);
    assert.match(answer.body, /loopback/);
  });

  it("accepts WebSocket upgrades from the page's own origin and still refuses others", async () => {
    const own = new WebSocket(`ws://127.0.0.1:${port}`, { origin: `http://127.0.0.1:${port}` });
    await new Promise((resolve, reject) => {
      own.once('open', resolve);
      own.once('error', reject);
    });
    own.close();
    const foreign = new WebSocket(`ws://127.0.0.1:${port}`, { origin: 'http://evil.example' });
    const status = await new Promise<number>((resolve) => foreign.once('unexpected-response', (_req, res) => resolve(res.statusCode!)));
    assert.equal(status, 403);
  });
});

describe('a daemon whose UI was not built', () => {
  it('says how to build it', async () => {
    const server = createServer((req, res) => handleHttpRequest(req, res, '/nonexistent/car-ui'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const answer = await get((server.address() as AddressInfo).port, '/');
    server.close();
    assert.equal(answer.status, 503);
    assert.match(answer.body, /npm run build/);
  });
});

function nonLoopbackAddress(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((entry) => entry && entry.family === 'IPv4' && !entry.internal)?.address;
}
