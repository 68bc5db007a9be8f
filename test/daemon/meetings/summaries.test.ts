import assert from 'node:assert/strict';
import { isLocalModel } from '../../../src/protocol/inference.js';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CarClient } from '../../../src/client/node.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import type { MeetingRecord } from '../../../src/protocol/meeting.js';
import { CHATML_TEMPLATE, withStringKey } from '../../helpers/gguf.js';
import type { InProcessDaemon } from '../../helpers/in-process.js';
import { journalEvents } from '../../helpers/journal.js';
import { SHARED_MODELS, tempStateRoot } from '../../helpers/paths.js';
import { rejectsWith } from '../../helpers/rpc.js';
import { waitFor } from '../../helpers/wait.js';
import { startInference } from '../inference/support.js';
import { engineMissing } from '../voice/recordings.js';
import { meetingWav } from './support.js';

async function settled(client: CarClient, id: string): Promise<MeetingRecord> {
  let record: MeetingRecord | undefined;
  await waitFor(
    async () => {
      record = await client.call('meeting.get', { meeting_id: id });
      return record.status !== 'recording' && (record.summary !== null || record.summary_error !== null);
    },
    `meeting ${id} to be summarised`,
    60_000,
  );
  return record!;
}

const bulletTexts = (summary: string) => [...summary.matchAll(/^- \[\d\d:\d\d\] (.*)$/gm)].map((match) => match[1]!);

/** `meeting.summarize`, `meeting.transcript` and `meeting.delete` (docs/protocol.md#namespace-meeting): never a garbage summary, re-summarising, export, removal. */
describe('meeting summaries without a chat model', { skip: engineMissing }, () => {
  let daemon: InProcessDaemon;
  let client: CarClient;

  before(async () => {
    daemon = await startInference();
    client = await daemon.connect();
  });
  after(() => daemon.close());

  it('summarises extractively from the transcript, says why, and never calls a model without a chat template', async () => {
    const started = await client.call('meeting.start', { id: 'extractive', audio_source: { kind: 'file', path: meetingWav() } });
    const record = await settled(client, started.id);
    assert.equal(record.summary_kind, 'extractive');
    assert.match(record.summary_reason!, /^no model has a chat template \(llama-2-tiny-random, stories260K\)$/);
    const texts = record.transcript.map((line) => line.text);
    const picked = bulletTexts(record.summary!);
    assert.ok(picked.length > 0, record.summary!);
    for (const text of picked) assert.ok(texts.includes(text), `'${text}' comes from the transcript`);
    assert.equal(journalEvents(daemon.state.journal, 'inference_completed').length, 0, 'no model was asked');
    const stored = JSON.parse(readFileSync(join(started.path, 'meeting.json'), 'utf8'));
    assert.deepEqual([stored.summary_kind, stored.summary_reason], ['extractive', record.summary_reason]);
    const listed = await client.call('models.list', {});
    assert.deepEqual(listed.summary, { model: null, reason: record.summary_reason });
    assert.ok(listed.models.every((model) => model.source === 'local' && !model.chat_template && !model.roles.includes('summary')));
  });

  it('re-summarises with a template, keeping the previous summary as summary.<n>.md, and refuses what an extractive summary cannot do', async () => {
    const started = await client.call('meeting.start', { id: 'again', audio_source: { kind: 'file', path: meetingWav() } });
    const first = await settled(client, started.id);
    // No chat model: the summary would be extractive, which cannot be written in German (issue 27): refused, nothing changed.
    const german = await rejectsWith(
      client.call('meeting.summarize', { id: started.id, template: 'action-items', language: 'de' }),
      ErrorCode.Unavailable,
      /was not summarised: the summary would be extractive \(no model has a chat template .*\), which keeps the transcript's own words, so it cannot be written in 'de'; the previous summary is unchanged/,
    );
    assert.equal(german.data?.field, 'language');
    assert.match(String(german.data?.hint), /leave out the language, or give the daemon a model with a chat template/);
    assert.equal(existsSync(join(started.path, 'summary.1.md')), false);
    const again = await client.call('meeting.summarize', { id: started.id, template: 'action-items' });
    assert.deepEqual(
      [again.summary_kind, again.template, again.language, again.path, again.previous_path],
      ['extractive', 'action-items', null, join(started.path, 'summary.md'), join(started.path, 'summary.1.md')],
    );
    assert.match(readFileSync(join(started.path, 'summary.1.md'), 'utf8'), new RegExp(first.summary!.slice(0, 40).replace(/[[\]]/g, '\\$&')));
    assert.match(readFileSync(join(started.path, 'summary.md'), 'utf8'), /## Action items/);
    mkdirSync(join(daemon.stateRoot, 'templates'));
    writeFileSync(join(daemon.stateRoot, 'templates', 'retro.md'), 'What went well, what did not, what to change.\n');
    const custom = await rejectsWith(
      client.call('meeting.summarize', { id: started.id, template: 'retro' }),
      ErrorCode.Unavailable,
      /template 'retro' holds instructions only a model can follow/,
    );
    assert.equal(custom.data?.field, 'template');
    const decisions = await client.call('meeting.summarize', { id: started.id, template: 'decisions' });
    assert.equal(decisions.previous_path, join(started.path, 'summary.2.md'));
    await rejectsWith(
      client.call('meeting.summarize', { id: started.id, template: 'nope' }),
      ErrorCode.InvalidParams,
      /unknown summary template 'nope'; choose default, action-items, decisions, standup, retro/,
    );
    await rejectsWith(client.call('meeting.summarize', { id: started.id, template: '../x' }), ErrorCode.InvalidParams, /param 'template'/);
    await rejectsWith(client.call('meeting.summarize', { id: 'missing' }), ErrorCode.NotFound, /unknown meeting 'missing'/);
  });

  it('returns the transcript for export, and deletes a meeting only when it is not recording', async () => {
    const host = await daemon.connect({ asHost: true });
    const live = await client.call('meeting.start', { id: 'live' });
    await rejectsWith(host.call('meeting.delete', { id: 'live' }), ErrorCode.Conflict, /meeting 'live' is still recording; stop it first/);
    await rejectsWith(host.call('meeting.summarize', { id: 'live' }), ErrorCode.Conflict, /still recording/);
    await client.call('meeting.stop', { meeting_id: live.id, summarize: false });
    const transcript = await client.call('meeting.transcript', { id: 'extractive' });
    assert.ok(transcript.segments.length >= 3);
    assert.deepEqual(Object.keys(transcript.segments[0]!).sort(), ['end_ms', 'index', 'role', 'start_ms', 'text']);
    assert.ok(transcript.segments.every((segment) => segment.end_ms >= segment.start_ms));
    await rejectsWith(client.call('meeting.delete', { id: 'live' }), ErrorCode.Forbidden, /host-role session/);
    assert.deepEqual(await host.call('meeting.delete', { id: 'live' }), { id: 'live', deleted: true, facts_deleted: 0 });
    assert.equal(existsSync(live.path), false);
    await rejectsWith(host.call('meeting.delete', { id: 'live' }), ErrorCode.NotFound, /unknown meeting 'live'/);
    assert.ok(!(await client.call('meeting.list', {})).meetings.some((meeting) => meeting.id === 'live'));
    host.close();
  });
});

describe('meeting summaries with a chat-template model', { skip: engineMissing }, () => {
  it('asks the chat model, within its context, and falls back to extractive when its output is degenerate', async () => {
    const modelsDir = join(tempStateRoot('car-chat-models-'), 'models');
    mkdirSync(modelsDir);
    withStringKey(join(SHARED_MODELS, 'llama-2-tiny-random.gguf'), join(modelsDir, 'random-chat.gguf'), 'tokenizer.chat_template', CHATML_TEMPLATE);
    symlinkSync(join(SHARED_MODELS, 'stories260K.gguf'), join(modelsDir, 'stories260K.gguf'));
    const daemon = await startInference({ modelsDir });
    try {
      const client = await daemon.connect();
      const listed = await client.call('models.list', {});
      const chat = listed.models.filter(isLocalModel).find((model) => model.name === 'random-chat')!;
      assert.deepEqual([chat.chat_template, chat.roles.includes('summary'), listed.summary.model], [true, true, 'random-chat']);
      const progress: number[] = [];
      client.on('meeting.summary.progress', ({ done }) => progress.push(done));
      const started = await client.call('meeting.start', { id: 'chat', audio_source: { kind: 'file', path: meetingWav() } });
      const record = await settled(client, started.id);
      const calls = journalEvents(daemon.state.journal, 'inference_completed').filter((event) => event.data.method === 'generate');
      assert.ok(
        calls.length >= 1 && calls.every((event) => event.data.model === 'random-chat'),
        `the chat model was asked (${record.summary_kind}: ${record.summary_reason})`,
      );
      assert.deepEqual(
        progress,
        calls.map((_, i) => i + 1),
        'a progress event per model call',
      );
      assert.equal(record.summary_kind, 'extractive', record.summary!);
      assert.match(record.summary_reason!, /\(model 'random-chat'\)$/);
      assert.ok(bulletTexts(record.summary!).every((text) => record.transcript.some((line) => line.text === text)));
      client.close();
    } finally {
      await daemon.close();
    }
  });
});
