import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { parseSetCookie } from 'cookie';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { DEFAULT_BROWSER_SESSION_TTL_MS } from '../../../src/daemon/auth/browser-sessions.js';
import { runCli } from '../../helpers/cli.js';
import { startDaemon, type DaemonProcess } from '../../helpers/daemon.js';
import { startInProcess } from '../../helpers/in-process.js';
import { waitFor } from '../../helpers/wait.js';

const CHROMIUM = '/usr/bin/chromium';

/** A page on another port of this host (the same site as the daemon's page, so Chromium sends the cookie) that tries the daemon's WebSocket. */
function foreignPage(daemonPort: number): string {
  return `<!doctype html><title>waiting</title><script>
    const ws = new WebSocket('ws://127.0.0.1:${daemonPort}');
    ws.onopen = () => ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'sessions.list' }));
    ws.onmessage = (event) => { document.title = 'answer ' + event.data; };
    ws.onerror = () => { document.title = 'answer {"error":"socket error"}'; };
  </script>`;
}

/** Issue 27 item 8: the session cookie as Chromium keeps and sends it. */
describe('the browser session in Chromium', { skip: !existsSync(CHROMIUM) && `${CHROMIUM} is not installed (scripts/setup.sh installs it)` }, () => {
  let daemon: DaemonProcess;
  let browser: Browser;
  let foreign: Server;

  before(async () => {
    daemon = await startDaemon();
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    foreign = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(foreignPage(daemon.port)));
    await new Promise<void>((resolve) => foreign.listen(0, '127.0.0.1', resolve));
  });

  after(async () => {
    await browser?.close();
    foreign?.close();
    await daemon?.stop();
  });

  async function signedInPage(host = false): Promise<{ context: BrowserContext; page: Page; setCookie: string | null }> {
    const minted = await runCli(['ui', ...(host ? ['--host'] : []), '--json'], daemon.env);
    assert.equal(minted.code, 0, minted.stderr);
    const context = await browser.newContext();
    const page = await context.newPage();
    const signIn = page.waitForResponse((response) => response.url().endsWith('/session') && response.request().method() === 'POST');
    await page.goto(JSON.parse(minted.stdout).url);
    const setCookie = await (await signIn).headerValue('set-cookie');
    await page.getByText(`signed in as ${host ? 'host' : 'client'}`).waitFor();
    return { context, page, setCookie };
  }

  it('keeps the session across a reload, with an HttpOnly, SameSite=Strict, Path=/ cookie that expires in 12 h', async () => {
    const { context, page, setCookie } = await signedInPage();
    const before = Date.now();
    const header = parseSetCookie(setCookie!);
    assert.equal(header.name, `car_session_${daemon.port}`);
    assert.equal(header.httpOnly, true);
    assert.equal(header.sameSite, 'strict');
    assert.equal(header.path, '/');
    assert.equal(header.domain, undefined);
    assert.equal(header.maxAge, DEFAULT_BROWSER_SESSION_TTL_MS / 1000);

    const [stored] = await context.cookies();
    assert.equal(stored?.name, `car_session_${daemon.port}`);
    assert.equal(stored?.domain, '127.0.0.1');
    assert.equal(stored?.httpOnly, true);
    assert.equal(stored?.sameSite, 'Strict');
    assert.equal(stored?.path, '/');
    assert.ok(
      Math.abs(stored!.expires * 1000 - (before + DEFAULT_BROWSER_SESSION_TTL_MS)) < 60_000,
      `expires ${new Date(stored!.expires * 1000).toISOString()}`,
    );

    await page.reload();
    await page.getByText('signed in as client').waitFor();
    await page.getByText(/^session until \d/).waitFor();
    assert.equal(
      await page.evaluate('JSON.stringify([{ ...localStorage }, { ...sessionStorage }, document.cookie])'),
      '[{},{},""]',
      'script sees no cookie and nothing is stored',
    );
    const client = await daemon.connect();
    // The connection from before the reload may take a moment to be torn down.
    const own = await waitFor(async () => {
      const pages = (await client.call('sessions.list', {})).sessions.filter((session) => session.client_version === 'car-ui');
      return pages.length === 1 && pages[0]!;
    }, 'one connection of the reloaded page');
    client.close();
    assert.equal(own.role, 'client');
    assert.equal(own.memory.namespace, 'default');
    await context.close();
  });

  it('keeps host rights across a reload of a `car ui --host` page', async () => {
    const { context, page } = await signedInPage(true);
    await page.reload();
    await page.getByText('signed in as host').waitFor();
    await context.close();
  });

  it('refuses (403) the upgrade of a page of another origin on this host, though Chromium sends the cookie', async () => {
    const { context } = await signedInPage(true);
    const page = await context.newPage();
    const consoleLines: string[] = [];
    page.on('console', (message) => consoleLines.push(message.text()));
    await page.goto(`http://127.0.0.1:${(foreign.address() as AddressInfo).port}/`);
    await waitFor(async () => (await page.title()).startsWith('answer '), 'the foreign page to hear from the daemon', 15_000);
    // Chromium reports the handshake's status on the console; script only sees an error event.
    await waitFor(() => consoleLines.length > 0, 'Chromium to report the failed handshake', 5000);
    assert.ok(
      consoleLines.some((line) => /Unexpected response code: 403/.test(line)),
      JSON.stringify(consoleLines),
    );
    const answer = JSON.parse((await page.title()).slice('answer '.length));
    assert.deepEqual(answer, { error: 'socket error' }, 'the upgrade is refused, so the page never gets a frame');
    await waitFor(() => daemon.logs().includes("refused an upgrade from a page that is not the daemon's own"), 'the daemon to log the refusal');
    assert.match(
      daemon.logs(),
      new RegExp(`refused an upgrade from a page that is not the daemon's own.*origin=http://127\\.0\\.0\\.1:${(foreign.address() as AddressInfo).port}`),
      'refused with 403 for its Origin',
    );
    await context.close();
  });

  it('signs out: the page says so, the cookie is gone and a reload asks for a link', async () => {
    const { context, page } = await signedInPage();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Signed out' }).waitFor();
    assert.deepEqual(await context.cookies(), []);
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in to car' }).waitFor();
    await context.close();
  });
});

describe('a daemon restart in Chromium', { skip: !existsSync(CHROMIUM) && `${CHROMIUM} is not installed` }, () => {
  it('revokes the browser session: after the restart a reload asks for a new link', async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    const first = await startInProcess();
    const port = Number(new URL(first.url).port);
    let second: Awaited<ReturnType<typeof startInProcess>> | undefined;
    try {
      const client = await first.connect();
      const { code } = await client.call('session.login_code', {});
      client.close();
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${port}/#code=${code}`);
      await page.getByText('signed in as client').waitFor();
      await first.close();
      await page.getByText('disconnected').waitFor();

      second = await startInProcess({ stateRoot: first.stateRoot }, { port });
      await page.reload();
      await page.getByRole('heading', { name: 'Sign in to car' }).waitFor();
    } finally {
      await second?.close();
      await browser.close();
    }
  });
});
