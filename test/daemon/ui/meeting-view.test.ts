import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { MeetingMetadata, TranscriptLine } from '../../../src/protocol/meeting.js';
import { runCli } from '../../helpers/cli.js';
import { startDaemon, type DaemonProcess } from '../../helpers/daemon.js';
import { REPO_ROOT } from '../../helpers/paths.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(REPO_ROOT, 'test-artifacts', 'ui');

/** A summary as a model might write it, with HTML a transcript could smuggle in. */
const HOSTILE_SUMMARY = [
  '## Decisions',
  '',
  '- ship **build 42** on Friday',
  '',
  '<script>window.summaryScriptRan = true</script>',
  '',
  '<img src="x" onerror="window.summaryImageRan = true">',
  '',
  '[open me](javascript:window.summaryLinkRan=true)',
].join('\n');

const LINES: Omit<TranscriptLine, 'at'>[] = [
  { index: 0, text: 'Good morning, shall we start with the release plan for this week.', start_ms: 0, end_ms: 2500, role: 'mic' },
  { index: 1, text: 'Yes, the release plan is ready and the build is green on every platform.', start_ms: 3000, end_ms: 6000, role: 'system' },
  { index: 2, text: 'We decided to ship the release on Friday after the final review.', start_ms: 6500, end_ms: 9000, role: 'unknown' },
];

/** A stopped meeting on disk, as a daemon that records roles per source writes it. */
function writeMeeting(stateRoot: string, id: string, title: string): void {
  const dir = join(stateRoot, 'meetings', id);
  mkdirSync(dir, { recursive: true });
  const at = new Date().toISOString();
  writeFileSync(join(dir, 'transcript.jsonl'), LINES.map((line) => JSON.stringify({ ...line, at })).join('\n') + '\n');
  const metadata: MeetingMetadata = {
    id,
    title,
    status: 'stopped',
    started_at: at,
    ended_at: at,
    duration_ms: 9000,
    stop_reason: 'requested',
    segment_count: LINES.length,
    language: 'en',
    audio_source_kind: 'pcm_push',
    persist_audio: false,
    sources: [],
    transcript_kind: 'final',
    summary: HOSTILE_SUMMARY,
    summary_error: null,
    summary_kind: 'model',
    summary_reason: null,
    path: dir,
  };
  writeFileSync(join(dir, 'meeting.json'), JSON.stringify(metadata));
}

/** Issue 27 item 8 and issue 21 item 2: the meeting view's summary, roles, re-summarise and delete. */
describe('the meeting view in Chromium', { skip: !existsSync(CHROMIUM) && `${CHROMIUM} is not installed (scripts/setup.sh installs it)` }, () => {
  let daemon: DaemonProcess;
  let browser: Browser;
  let host: Page;
  const cspViolations: string[] = [];

  before(async () => {
    daemon = await startDaemon();
    writeMeeting(daemon.stateRoot, 'release-sync', 'Release sync');
    writeMeeting(daemon.stateRoot, 'old-standup', 'Old standup');
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    host = await signedIn(true);
  });

  after(async () => {
    await browser?.close();
    await daemon?.stop();
  });

  async function signedIn(asHost: boolean): Promise<Page> {
    const minted = await runCli(['ui', ...(asHost ? ['--host'] : []), '--json'], daemon.env);
    assert.equal(minted.code, 0, minted.stderr);
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.on('console', (message) => {
      if (/Content.Security.Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    await page.goto(JSON.parse(minted.stdout).url);
    await page.getByText(`signed in as ${asHost ? 'host' : 'client'}`).waitFor();
    return page;
  }

  async function openMeeting(page: Page, title: string) {
    await page.getByRole('navigation', { name: 'views' }).getByRole('button', { name: 'Meetings' }).click();
    await page.getByRole('button', { name: `open meeting ${title}` }).click();
    const detail = page.locator('[data-meeting-detail]');
    await detail.getByRole('heading', { name: title }).waitFor();
    return detail;
  }

  it("shows each transcript line's role, and nothing for 'unknown'", async () => {
    const detail = await openMeeting(host, 'Release sync');
    const lines = detail.getByRole('list', { name: 'transcript' }).locator('li');
    await lines.nth(2).waitFor();
    assert.deepEqual(await lines.evaluateAll((items) => items.map((item) => item.querySelector('.role')?.textContent ?? null)), ['mic', 'system', null]);
    assert.match(await lines.nth(0).innerText(), /^00:00\s*mic\s+Good morning/);
  });

  it("renders the summary's Markdown and shows its HTML as text, running none of it", async () => {
    const detail = await openMeeting(host, 'Release sync');
    const summary = detail.getByLabel('summary');
    await summary.getByRole('heading', { level: 2, name: 'Decisions' }).waitFor();
    assert.equal(await summary.locator('li strong').innerText(), 'build 42');
    assert.equal(await summary.locator('script, img, iframe, [onerror]').count(), 0);
    assert.equal(await summary.locator('a').count(), 0, 'a javascript: link is not made a link');
    const text = await summary.innerText();
    assert.ok(text.includes('<script>window.summaryScriptRan = true</script>'), text);
    assert.ok(text.includes('<img src="x" onerror="window.summaryImageRan = true">'), text);
    await host.screenshot({ path: join(ARTIFACTS, 'meeting-detail-1280.png'), fullPage: true });
    assert.deepEqual(await host.evaluate('[typeof window.summaryScriptRan, typeof window.summaryImageRan, typeof window.summaryLinkRan]'), [
      'undefined',
      'undefined',
      'undefined',
    ]);
    assert.deepEqual(cspViolations, []);
  });

  it('offers every export format as a download, each the very file `car meeting export` writes (one exporter, issue 25)', async () => {
    const detail = await openMeeting(host, 'Old standup');
    const links = detail.locator('ul.exports a');
    await links.nth(4).waitFor();
    assert.deepEqual(await links.allInnerTexts(), ['Markdown', 'Text', 'SRT subtitles', 'WebVTT subtitles', 'JSON']);
    for (let i = 0; i < 5; i++) {
      const [download] = await Promise.all([host.waitForEvent('download'), links.nth(i).click()]);
      const format = download.suggestedFilename().replace('old-standup.', '');
      const downloaded = readFileSync((await download.path())!, 'utf8');
      const exported = await runCli(['meeting', 'export', 'old-standup', '--format', format], daemon.env);
      assert.equal(exported.code, 0, exported.stderr);
      assert.equal(downloaded, exported.stdout, format);
    }
  });

  it('re-summarises a meeting and shows the new summary', async () => {
    const detail = await openMeeting(host, 'Release sync');
    await detail.getByRole('button', { name: 'Re-summarise' }).click();
    await detail.getByLabel('summary').getByText('<script>', { exact: false }).waitFor({ state: 'detached', timeout: 60_000 });
    const client = await daemon.connect();
    const record = await client.call('meeting.get', { meeting_id: 'release-sync' });
    client.close();
    assert.equal(record.summary_kind, 'extractive', 'the shared models have no chat template, so the summary is extractive');
    assert.ok(record.summary && !record.summary.includes('<script>'));
    const shown = await detail.getByLabel('summary').innerText();
    assert.ok(shown.includes('release'), shown);
    assert.equal(await detail.getByRole('button', { name: 'Re-summarise' }).isEnabled(), true);
  });

  it('offers no delete to a client session and says it needs host rights', async () => {
    const page = await signedIn(false);
    const detail = await openMeeting(page, 'Old standup');
    await detail.getByText(/Deleting a meeting needs host rights: open the UI with car ui --host/).waitFor();
    assert.equal(await detail.getByRole('button', { name: /^Delete/ }).count(), 0);
    await page.context().close();
  });

  it('deletes a meeting only after confirming, as host', async () => {
    const detail = await openMeeting(host, 'Old standup');
    await detail.getByRole('button', { name: 'Delete…' }).click();
    const confirm = detail.getByRole('alertdialog');
    await confirm.getByText(/Delete “Old standup” for good\?/).waitFor();
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    // The view re-renders after the click's turn: wait for the dialog to go rather than count it at once.
    await confirm.waitFor({ state: 'detached' });
    assert.ok(existsSync(join(daemon.stateRoot, 'meetings', 'old-standup')), 'cancel keeps the meeting');

    await detail.getByRole('button', { name: 'Delete…' }).click();
    await detail.getByRole('alertdialog').getByRole('button', { name: 'Delete meeting' }).click();
    await host.getByText('Deleted meeting old-standup.').waitFor();
    await host.locator('[data-meeting="old-standup"]').waitFor({ state: 'detached' });
    assert.equal(existsSync(join(daemon.stateRoot, 'meetings', 'old-standup')), false);
    const client = await daemon.connect();
    const ids = (await client.call('meeting.list', {})).meetings.map((meeting) => meeting.id);
    client.close();
    assert.deepEqual(ids, ['release-sync']);
  });
});
