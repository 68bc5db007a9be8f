import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { CarClient } from '../../../src/client/node.js';
import type { A2uiEventParams } from '../../../src/protocol/a2ui.js';
import { wavHeader } from '../../../src/audio/wav.js';
import { runCli } from '../../helpers/cli.js';
import { startDaemon, type DaemonProcess } from '../../helpers/daemon.js';
import { REPO_ROOT } from '../../helpers/paths.js';
import { waitFor } from '../../helpers/wait.js';
import { goForward } from '../voice/recordings.js';

const CHROMIUM = '/usr/bin/chromium';
/** Screenshots of every view at both sizes, for a person to look at (gitignored). */
const ARTIFACTS = join(REPO_ROOT, 'test-artifacts', 'ui');
const VIEWS = ['Sessions', 'Meetings', 'Approvals', 'Host events', 'Surfaces', 'Memory', 'Inference'];

/** The surface the tests apply with `car surfaces apply`: a text bound to the data model, a field and a button. */
function surfaceFile(dir: string, greeting: string, create: boolean): string {
  const envelopes = [
    ...(create ? [{ version: 'v0.9', createSurface: { surfaceId: 'ui-test', catalogId: 'basic' } }] : []),
    {
      version: 'v0.9',
      updateComponents: {
        surfaceId: 'ui-test',
        components: [
          { id: 'root', component: 'Column', children: ['greeting', 'name', 'send'] },
          { id: 'greeting', component: 'Text', text: greeting },
          { id: 'name', component: 'TextField', label: 'Your name', value: { path: '/name' } },
          { id: 'send-label', component: 'Text', text: 'Send' },
          { id: 'send', component: 'Button', child: 'send-label', action: { event: { name: 'submit_name', context: { name: { path: '/name' } } } } },
        ],
      },
    },
    { version: 'v0.9', updateDataModel: { surfaceId: 'ui-test', path: '/name', value: 'Ada' } },
  ];
  const file = join(dir, `surface-${create ? 'create' : 'update'}.jsonl`);
  writeFileSync(file, envelopes.map((envelope) => JSON.stringify(envelope)).join('\n') + '\n');
  return file;
}

/** Issue 15: the page (docs/protocol.md#transport, docs/protocol.md#session-login_code) in a real Chromium against a real daemon. */
describe('the browser UI in Chromium', { skip: !existsSync(CHROMIUM) && `${CHROMIUM} is not installed (scripts/setup.sh installs it)` }, () => {
  let daemon: DaemonProcess;
  let browser: Browser;
  let page: Page;
  let dir: string;
  let loginUrl: string;
  const sent: string[] = [];
  const cspViolations: string[] = [];

  before(async () => {
    daemon = await startDaemon();
    dir = mkdtempSync(join(tmpdir(), 'car-ui-test-'));
    mkdirSync(ARTIFACTS, { recursive: true });
    // Silence around the recording gives the speech detector an end of utterance on every loop of the fake microphone.
    const silence = Buffer.alloc(16_000 * 2);
    const pcm = Buffer.concat([silence, goForward(), silence, silence]);
    const wav = join(dir, 'goforward.wav');
    writeFileSync(wav, Buffer.concat([wavHeader(16_000, 1, pcm.length), pcm]));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-audio-capture=${wav}`, '--no-sandbox'],
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    page.on('request', (request) => {
      sent.push(request.url(), JSON.stringify(request.headers()), request.postData() ?? '');
    });
    page.on('websocket', (socket) =>
      socket.on('framesent', (frame) => sent.push(typeof frame.payload === 'string' ? frame.payload : frame.payload.toString('latin1'))),
    );
    page.on('console', (message) => {
      if (/Content.Security.Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    const minted = await runCli(['ui', '--host', '--json'], daemon.env);
    assert.equal(minted.code, 0, minted.stderr);
    loginUrl = JSON.parse(minted.stdout).url;
  });

  after(async () => {
    await browser?.close();
    await daemon?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function show(view: string): Promise<void> {
    await page
      .getByRole('navigation', { name: 'views' })
      .getByRole('button', { name: new RegExp(`^${view}`) })
      .click();
    await page.getByRole('heading', { level: 2, name: view }).waitFor();
  }

  it('signs in with the one-time code and removes it from the address bar', async () => {
    assert.match(loginUrl, new RegExp(`^http://127\\.0\\.0\\.1:${daemon.port}/#code=[A-Za-z0-9_-]{43}$`));
    await page.goto(loginUrl);
    await page.getByText('signed in as host').waitFor();
    assert.ok(!page.url().includes('code='), page.url());
  });

  it('keeps the code out of the history: Back and Forward never bring it back', async () => {
    const minted = await runCli(['ui', '--json'], daemon.env);
    assert.equal(minted.code, 0, minted.stderr);
    const other = await browser.newPage();
    await other.goto(JSON.parse(minted.stdout).url);
    await other.getByText('signed in as client').waitFor();
    await other.goBack();
    assert.equal(other.url(), 'about:blank');
    await other.goForward();
    assert.ok(!other.url().includes('code='), other.url());
    // Signed in again by the session cookie (issue 27), not by the spent code.
    await other.getByText('signed in as client').waitFor();
    await other.close();
  });

  it('`car ui` prints the link with its expiry for a person', async () => {
    const printed = await runCli(['ui'], daemon.env);
    assert.equal(printed.code, 0, printed.stderr);
    assert.match(
      printed.stdout,
      new RegExp(
        `^http://127\\.0\\.0\\.1:${daemon.port}/#code=[A-Za-z0-9_-]{43}\\n\\(one-time link, valid until .+; run \`car ui\` again for a new one\\)\\n$`,
      ),
    );
  });

  it('refuses the same code a second time', async () => {
    const second = await browser.newPage();
    await second.goto(loginUrl);
    await second.getByRole('heading', { name: 'Sign-in failed' }).waitFor();
    assert.match(await second.locator('main').innerText(), /unknown, already used or expired/);
    await second.close();
  });

  it("lists the page's own session, marked", async () => {
    await show('Sessions');
    const own = page.locator('li.card[aria-current="true"]');
    await own.getByText('this page').waitFor();
    const id = await own.getAttribute('data-session');
    const client = await daemon.connect();
    const listed = (await client.call('sessions.list', {})).sessions.find((session) => session.id === id);
    client.close();
    assert.equal(listed?.client_version, 'car-ui');
    assert.equal(listed?.role, 'host');
  });

  it('draws a surface applied with `car surfaces apply`, updates it, and sends its button click as a2ui.action', async () => {
    await show('Surfaces');
    const applied = await runCli(['surfaces', 'apply', surfaceFile(dir, 'Hello from the test', true)], daemon.env);
    assert.equal(applied.code, 0, applied.stderr);
    const surface = page.locator('[data-surface="ui-test"]');
    await surface.getByText('Hello from the test').waitFor();

    const updated = await runCli(['surfaces', 'apply', surfaceFile(dir, 'Updated greeting', false)], daemon.env);
    assert.equal(updated.code, 0, updated.stderr);
    await surface.getByText('Updated greeting').waitFor();
    assert.equal(await surface.getByText('Hello from the test').count(), 0);

    const subscriber: CarClient = await daemon.connect();
    await subscriber.call('a2ui/subscribe', {});
    const actions: A2uiEventParams[] = [];
    subscriber.on('a2ui.event', (event) => actions.push(event));
    await surface.getByRole('textbox').fill('Grace');
    await surface.getByRole('button', { name: 'Send' }).click();
    const delivered = await waitFor(() => actions.find((event) => event.kind === 'a2ui.action'), 'the a2ui.action event', 15_000);
    subscriber.close();
    assert.equal(delivered.kind, 'a2ui.action');
    if (delivered.kind !== 'a2ui.action') return;
    assert.equal(delivered.result.surfaceId, 'ui-test');
    assert.equal(delivered.result.action.name, 'submit_name');
    assert.equal(delivered.result.action.sourceComponentId, 'send');
    assert.deepEqual(delivered.result.action.context, { name: 'Grace' });
    assert.ok(!Number.isNaN(Date.parse(delivered.result.action.timestamp)));
    await page.getByText(/Sent action submit_name from ui-test/).waitFor();
  });

  it('approves an approval raised by a client with a click', async () => {
    await show('Approvals');
    const agent = await daemon.connect();
    const approval = await agent.call('host.request_approval', { title: 'Deploy to staging', description: 'ship build 42' });
    const card = page.locator(`[data-approval="${approval.id}"]`);
    await card.getByText('Deploy to staging').waitFor();
    await card.getByLabel('Notes (optional)').fill('looks fine');
    await card.getByRole('button', { name: 'Approve' }).click();
    await card.getByText('approved').waitFor();
    const [resolved] = (await agent.call('host.approvals', {})).approvals.filter((entry) => entry.id === approval.id);
    assert.equal(resolved?.status, 'approved');
    assert.equal(resolved?.resolution?.notes, 'looks fine');

    const denied = await agent.call('host.request_approval', { title: 'Drop the database' });
    const deniedCard = page.locator(`[data-approval="${denied.id}"]`);
    await deniedCard.getByLabel('Notes (optional)').fill('not today');
    await deniedCard.getByRole('button', { name: 'Deny' }).click();
    await deniedCard.getByText('denied').waitFor();
    assert.equal((await agent.call('host.approvals', { status: 'denied' })).approvals[0]?.resolution?.notes, 'not today');

    // An approval that can no longer be resolved (its requester left) is greyed and offers no buttons.
    const orphan = await agent.call('host.request_approval', { title: 'Restart the build' });
    await page.locator(`[data-approval="${orphan.id}"]`).getByRole('button', { name: 'Approve' }).waitFor();
    await agent.closeAndWait();
    const greyed = page.locator(`[data-approval="${orphan.id}"]`);
    await greyed.getByText('cancelled').waitFor();
    assert.equal(await greyed.getAttribute('aria-disabled'), 'true');
    assert.match(String(await greyed.getAttribute('class')), /greyed/);
    assert.equal(await greyed.getByRole('button').count(), 0);
  });

  it('shows host events live and filters them by kind', async () => {
    await show('Host events');
    const agent = await daemon.connect();
    await agent.call('host.notify', { kind: 'build.finished', message: 'build 42 is green' });
    agent.close();
    const events = page.getByRole('list', { name: 'host events, newest first' });
    await events.getByText('build 42 is green').waitFor();
    await page.getByLabel('Kind').selectOption('approval.resolved');
    const kinds = await events.locator('li').evaluateAll((items) => items.map((item) => item.getAttribute('data-kind')));
    assert.ok(kinds.length >= 2, `approval events shown: ${kinds.join(', ')}`);
    assert.deepEqual(new Set(kinds), new Set(['approval.resolved']));
    await page.getByLabel('Kind').selectOption('');
  });

  it('records a meeting from the microphone and shows "forward" in its live transcript', async () => {
    await show('Meetings');
    await page.getByLabel('Title (optional)').fill('browser standup');
    await page.getByRole('button', { name: 'Start recording' }).click();
    const transcript = page.getByRole('list', { name: 'transcript' });
    await transcript
      .getByText(/forward/)
      .first()
      .waitFor({ timeout: 60_000 });
    // Audio time and the level of the fake microphone, which plays speech between silences.
    const timer = page.getByRole('timer', { name: 'recorded audio time' });
    assert.match(await timer.innerText(), /^\d\d:\d\d$/);
    await waitFor(async () => (await timer.innerText()) !== '00:00', 'the recording timer to advance', 15_000);
    const meter = page.locator('meter[aria-label="microphone level"]');
    await waitFor(
      async () => (await meter.evaluate((element) => (element as unknown as { value: number }).value)) > 0.2,
      'the level meter to show speech',
      15_000,
    );
    await page.screenshot({ path: join(ARTIFACTS, 'meetings-recording-1280.png') });
    await page.getByRole('button', { name: 'Stop recording' }).click();
    await page.getByRole('button', { name: 'Start recording' }).waitFor({ timeout: 60_000 });
    const client = await daemon.connect();
    const [meeting] = (await client.call('meeting.list', {})).meetings.filter((entry) => entry.title === 'browser standup');
    assert.ok(meeting, 'the meeting is listed');
    const record = await client.call('meeting.get', { meeting_id: meeting.id });
    client.close();
    assert.equal(record.status, 'stopped');
    assert.match(record.transcript.map((line) => line.text).join(' '), /forward/);
    await page.locator('[data-meeting-detail]').getByRole('link', { name: 'SRT subtitles' }).waitFor();
    assert.equal(await timer.count(), 0, 'the timer goes with the recording');
  });

  it('finds a fact stored by `car memory add` from the memory query box', async () => {
    const added = await runCli(['memory', 'add', 'deploys', 'we deploy on Fridays after review'], daemon.env);
    assert.equal(added.code, 0, added.stderr);
    await show('Memory');
    await page.getByLabel('Query').fill('when do we deploy');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('list', { name: 'memory results' }).getByText('we deploy on Fridays after review').waitFor();
  });

  it('streams generated tokens into the inference view with the admission state', async () => {
    await show('Inference');
    await page.getByText(/Admission: 0 of \d+ permits in use, 0 queued/).waitFor();
    await page.getByLabel('Prompt').fill('Once upon a time');
    await page.getByLabel('Max tokens').fill('12');
    await page.getByRole('button', { name: 'Generate' }).click();
    await page.getByText('Done.').waitFor({ timeout: 120_000 });
    const output = await page.getByLabel('generated text').innerText();
    assert.ok(output.trim().length > 0, 'tokens arrived');
    await page.getByText(/stopped: (length|stop)/).waitFor();
  });

  it('fits every view at 1280×800 and 390×844, and saves a screenshot of each', async () => {
    for (const [width, height] of [
      [1280, 800],
      [390, 844],
    ] as const) {
      await page.setViewportSize({ width, height });
      for (const view of VIEWS) {
        await show(view);
        const overflow = (await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')) as number;
        assert.ok(overflow <= 0, `${view} at ${width}px overflows by ${overflow}px`);
        // Controls of the page itself (the renderer's components live in shadow roots and label themselves).
        const unlabelled = await page.evaluate(`[...document.querySelectorAll('main input, main select, main textarea, nav button, main button')]
          .filter((control) => !(control.labels?.length || control.getAttribute('aria-label') || control.textContent.trim()))
          .map((control) => control.outerHTML.slice(0, 80))`);
        assert.deepEqual(unlabelled, [], `${view}: every control has a label`);
        await page.screenshot({ path: join(ARTIFACTS, `${view.toLowerCase().replace(/\s+/g, '-')}-${width}.png`), fullPage: true });
      }
    }
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('reaches the views with the keyboard', async () => {
    await page.locator('header h1').click();
    // The header's Sign out comes first, then the views.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate('document.activeElement?.textContent?.trim()'), 'Sign out');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate('document.activeElement?.textContent?.trim()'), 'Sessions');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 2, name: 'Meetings' }).waitFor();
  });

  it('never puts the token in a request, frame or page storage, and breaks no CSP rule', async () => {
    const secrets = [daemon.token(), daemon.hostToken()];
    const leaks = sent.filter((entry) => secrets.some((secret) => entry.includes(secret)));
    assert.deepEqual(leaks, []);
    assert.ok(
      sent.some((entry) => entry.includes('"method":"session.auth"')),
      'the frames were recorded',
    );
    const stored = (await page.evaluate('JSON.stringify([{ ...localStorage }, { ...sessionStorage }, document.cookie])')) as string;
    assert.ok(!secrets.some((secret) => stored.includes(secret)), stored);
    assert.equal(stored, '[{},{},""]');
    assert.deepEqual(cspViolations, []);
    assert.ok(!daemon.logs().includes(loginUrl.split('#code=')[1]!), 'the code never reaches the daemon log');
    assert.ok(existsSync(join(ARTIFACTS, 'surfaces-390.png')));
    assert.ok(readFileSync(join(ARTIFACTS, 'sessions-1280.png')).length > 1000);
  });
});
