import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { MeetingRecord, ModelsListResult } from '../../../src/protocol/index.js';
import { runCli } from '../../helpers/cli.js';
import { startDaemon, type DaemonProcess } from '../../helpers/daemon.js';
import { CHATML_TEMPLATE, withStringKey } from '../../helpers/gguf.js';
import { SHARED_MODELS, tempStateRoot } from '../../helpers/paths.js';
import { engineMissing } from '../../daemon/voice/recordings.js';
import { meetingWav, stateRootWithStories } from '../../daemon/meetings/support.js';

/** `car meeting summarize` and `car meeting rm` against a real daemon process. */
describe('car meeting summarize / rm', { skip: engineMissing }, () => {
  let daemon: DaemonProcess;

  before(async () => {
    daemon = await startDaemon({ stateRoot: stateRootWithStories() });
  });
  after(() => daemon.stop());

  it('re-summarises with --template action-items into a new summary.md, keeping the old one as summary.1.md', async () => {
    const recorded = await runCli(['meeting', 'start', meetingWav(), '--id', 'resummarised'], daemon.env);
    assert.equal(recorded.code, 0, recorded.stderr);
    const dir = /^transcript {2}(\/\S+)\/transcript\.md$/m.exec(recorded.stdout)![1]!;
    const first = readFileSync(join(dir, 'summary.md'), 'utf8');

    const german = await runCli(['meeting', 'summarize', 'resummarised', '--language', 'de'], daemon.env);
    assert.equal(german.code, 1);
    assert.match(
      german.stderr,
      /^Error: meeting 'resummarised' was not summarised: the summary would be extractive .* so it cannot be written in 'de'; the previous summary is unchanged\nHint: leave out the language, or give the daemon a model with a chat template \(the summary\.model setting\)\n$/,
    );

    const again = await runCli(['meeting', 'summarize', 'resummarised', '--template', 'action-items'], daemon.env);
    assert.equal(again.code, 0, again.stderr);
    const record = JSON.parse(readFileSync(join(dir, 'meeting.json'), 'utf8')) as MeetingRecord;
    assert.equal(again.stdout, `${record.summary}\n`, 'the summary itself');
    assert.match(again.stdout, /^## Action items\n/);
    assert.match(
      again.stderr,
      new RegExp(`^summary {5}${dir}/summary\\.md {2}\\(extractive: no model has a chat template \\(llama-2-tiny-random, stories260K\\)\\)$`, 'm'),
    );
    assert.match(again.stderr, new RegExp(`^previous {4}${dir}/summary\\.1\\.md$`, 'm'));
    assert.equal(readFileSync(join(dir, 'summary.1.md'), 'utf8'), first);
    assert.match(readFileSync(join(dir, 'summary.md'), 'utf8'), /## Action items/);
    assert.equal(record.summary_kind, 'extractive');
    const json = JSON.parse((await runCli(['meeting', 'summarize', 'resummarised', '--json'], daemon.env)).stdout) as { summary: string; template: string };
    assert.equal(json.template, 'default');
    assert.match(json.summary, /^## Key points\n/);
    const exported = await runCli(['meeting', 'export', 'resummarised'], daemon.env);
    assert.match(
      exported.stdout,
      /^# resummarised\n\n## Summary\n\n### Key points\n[\s\S]*\n## Transcript\n\n\[00:00\] /,
      'the Markdown export leads with the summary',
    );

    const unknown = await runCli(['meeting', 'summarize', 'resummarised', '--template', 'nope'], daemon.env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /unknown summary template 'nope'; choose default, action-items, decisions, standup/);
  });

  it('`car meeting rm` is refused while the meeting records, then deletes it with its files', async () => {
    const client = await daemon.connect();
    const live = await client.call('meeting.start', { id: 'removed' });
    const refused = await runCli(['meeting', 'rm', 'removed'], daemon.env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /meeting 'removed' is still recording; stop it first/);
    assert.ok(existsSync(live.path));
    await client.call('meeting.stop', { meeting_id: live.id, summarize: false });
    const removed = await runCli(['meeting', 'rm', 'removed'], daemon.env);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal(removed.stdout, 'deleted meeting removed and 0 memory facts from its transcript\n');
    assert.equal(existsSync(live.path), false);
    assert.ok(!(await client.call('meeting.list', {})).meetings.some((meeting) => meeting.id === 'removed'));
    const again = await runCli(['meeting', 'rm', 'removed'], daemon.env);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /unknown meeting 'removed'/);
    client.close();
  });

  it('`car meeting rm` takes the transcript out of memory too', async () => {
    const recorded = await runCli(['meeting', 'start', meetingWav(), '--id', 'forgotten', '--no-summary'], daemon.env);
    assert.equal(recorded.code, 0, recorded.stderr);
    const query = async () =>
      (
        JSON.parse((await runCli(['memory', 'query', 'forward meters', '--namespace', 'meetings', '-k', '50', '--json'], daemon.env)).stdout) as {
          id: string;
        }[]
      ).filter((hit) => hit.id.startsWith('mtg-forgotten-'));
    assert.ok((await query()).length >= 1);
    const listed = JSON.parse((await runCli(['memory', 'ls', '--namespace', 'meetings', '--limit', '1000', '--json'], daemon.env)).stdout) as {
      facts: { id: string }[];
    };
    const facts = listed.facts.filter((fact) => fact.id.startsWith('mtg-forgotten-')).length;
    const removed = await runCli(['meeting', 'rm', 'forgotten'], daemon.env);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal(removed.stdout, `deleted meeting forgotten and ${facts} memory facts from its transcript\n`);
    assert.deepEqual(await query(), []);
  });
});

/** `car models rm` and `car config set summary.model` as `car models ls --json` reports them, on a models directory of copies. */
describe('car models rm / summary.model', () => {
  let daemon: DaemonProcess;
  let modelsDir: string;
  const listed = async () => {
    const result = await runCli(['models', 'ls', '--json'], daemon.env);
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as ModelsListResult;
  };

  before(async () => {
    modelsDir = join(tempStateRoot('car-cli-models-'), 'models');
    mkdirSync(modelsDir);
    withStringKey(join(SHARED_MODELS, 'llama-2-tiny-random.gguf'), join(modelsDir, 'random-chat.gguf'), 'tokenizer.chat_template', CHATML_TEMPLATE);
    copyFileSync(join(SHARED_MODELS, 'stories260K.gguf'), join(modelsDir, 'stories260K.gguf'));
    daemon = await startDaemon({ env: { CAR_MODELS_DIR: modelsDir } });
  });
  after(() => daemon.stop());

  it('`car config set summary.model` is what `models ls` reports as the summary role, and why', async () => {
    const byCapability = await listed();
    assert.deepEqual(byCapability.summary, { model: 'random-chat', reason: 'the most capable model with a chat template' });
    assert.ok(byCapability.models.find((model) => model.name === 'random-chat')!.roles.includes('summary'));

    const set = await runCli(['config', 'set', 'summary.model', 'stories260K'], daemon.env);
    assert.equal(set.code, 0, set.stderr);
    const overridden = await listed();
    assert.deepEqual(overridden.summary, {
      model: null,
      reason: "the model 'stories260K' (setting `summary.model`) has no chat template, so it is not used to summarise",
    });
    assert.ok(overridden.models.every((model) => !model.roles.includes('summary')));
    const table = await runCli(['models', 'ls'], daemon.env);
    assert.match(table.stdout, /^summaries: extractive, because the model 'stories260K' \(setting `summary\.model`\) has no chat template/m);

    assert.equal((await runCli(['config', 'set', 'summary.model', 'random-chat'], daemon.env)).code, 0);
    assert.deepEqual((await listed()).summary, { model: 'random-chat', reason: 'setting `summary.model`' });
  });

  it('`car models rm` deletes the file and the listing follows; an unknown name fails clearly', async () => {
    const removed = await runCli(['models', 'rm', 'random-chat'], daemon.env);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal(removed.stdout, 'deleted model random-chat\n');
    assert.equal(existsSync(join(modelsDir, 'random-chat.gguf')), false);
    const after = await listed();
    assert.deepEqual(
      after.models.map((model) => model.name),
      ['stories260K'],
    );
    assert.equal(after.summary.model, null);
    const unknown = await runCli(['models', 'rm', 'random-chat'], daemon.env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /random-chat/);
  });
});
