import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { isLocalModel } from '../../../src/protocol/inference.js';
import { runCli } from '../../helpers/cli.js';
import { startDaemon, type DaemonProcess } from '../../helpers/daemon.js';
import type { InProcessDaemon } from '../../helpers/in-process.js';
import { SHARED_MODELS, tempStateRoot } from '../../helpers/paths.js';
import { STORY, streamEvents, startInference } from './support.js';
import { rejectsWith } from '../../helpers/rpc.js';

const STORIES = join(SHARED_MODELS, 'stories260K.gguf');

/** The model catalogue, defaults from settings, and every kind of bad input (docs/protocol.md#models-list). */
describe('models and bad input (docs/protocol.md#models-list)', () => {
  let daemon: InProcessDaemon;

  before(async () => {
    daemon = await startInference();
  });
  after(async () => {
    await daemon.close();
  });

  it('lists the models directory from the headers, with defaults chosen by capability, never by file name', async () => {
    const client = await daemon.connect();
    const capable = 'the most capable model by its header (no model has a chat template; width × layers 320, context 128)';
    assert.deepEqual(await client.call('models.list', {}), {
      models_dir: SHARED_MODELS,
      models: [
        {
          source: 'local',
          name: 'llama-2-tiny-random',
          file: 'llama-2-tiny-random.gguf',
          size_bytes: 1_750_560,
          architecture: 'llama',
          context_length: 4096,
          chat_template: false,
          default_for: [],
          roles: [],
          why: {},
        },
        {
          source: 'local',
          name: 'stories260K',
          file: 'stories260K.gguf',
          size_bytes: 1_185_376,
          architecture: 'llama',
          context_length: 128,
          chat_template: false,
          default_for: ['generation', 'embedding'],
          roles: ['default', 'embedding'],
          why: { default: capable, embedding: capable },
        },
        {
          source: 'local',
          name: 'for-tests-ggml-tiny.en',
          file: 'for-tests-ggml-tiny.en.bin',
          size_bytes: 586_836,
          architecture: 'whisper',
          context_length: 1500,
          chat_template: false,
          default_for: [],
          roles: ['whisper'],
          why: { whisper: 'the first whisper.cpp model by name in the models directory' },
        },
      ],
      summary: { model: null, reason: 'no model has a chat template (llama-2-tiny-random, stories260K)' },
    });
    assert.equal((await client.call('infer', { prompt: 'Once upon a time', temperature: 0, max_tokens: 20 })).model_used, 'stories260K');
    client.close();
  });

  it('refuses bad generation params with -32602 naming the field', async () => {
    const client = await daemon.connect();
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ model: 'stories260K' }, /pass exactly one of 'prompt' \(a single user turn\) or 'messages'/],
      [{ prompt: 'a', messages: [{ role: 'user', content: 'b' }] }, /pass exactly one of 'prompt'/],
      [{ prompt: 'a', tools: [{ name: 'search' }] }, /param 'tools\.0'.*must be the name of a tool/],
      [{ prompt: 'a', tools: ['search'] }, /unknown tool 'search' in 'tools'; register it with tools\.register/],
      [{ prompt: 'a', max_tokens: 0 }, /param 'max_tokens'/],
      [{ prompt: 'a', max_tokens: 8193 }, /param 'max_tokens'/],
      [{ prompt: 'a', max_tokens: 1.5 }, /param 'max_tokens'/],
      [{ prompt: 'a', temperature: 2.5 }, /param 'temperature'/],
      [{ prompt: 'a', temperature: -1 }, /param 'temperature'/],
      [{ prompt: 'a', top_p: 0 }, /param 'top_p'/],
      [{ prompt: 'a', stop: Array(9).fill('x') }, /param 'stop'/],
      [{ prompt: 'a', model: '../../etc/passwd' }, /param 'model'.*not a path/],
      [{ prompt: 'a', response_format: { type: 'xml' } }, /param 'response_format.type'/],
      [{ messages: [{ role: 'tool', content: 'x' }] }, /param 'messages.0.role'/],
      [{ prompt: 'a', frequency: 1 }, /unknown param 'frequency' for infer(_stream)?; allowed: model, prompt, messages/],
    ];
    for (const [params, message] of cases) {
      for (const method of ['infer', 'infer_stream']) await rejectsWith(client.request(method, params), ErrorCode.InvalidParams, message);
    }
    const ignored = await client.call('infer', {
      ...STORY,
      max_tokens: 3,
      tools: [],
      intent: 'chat',
      cache_control: { type: 'x' },
      client_ref: 'r-1',
      thinking: { budget: 1 },
    });
    assert.equal(ignored.usage.output_tokens, 3, 'upstream-only keys and an empty tools list are accepted and ignored');
    client.close();
  });

  it('refuses bad embedding params, including a text longer than the model can embed', async () => {
    const client = await daemon.connect();
    await rejectsWith(client.call('embed', { texts: [] }), ErrorCode.InvalidParams, /param 'texts'/);
    await rejectsWith(client.call('embed', { texts: ['ok', ''] }), ErrorCode.InvalidParams, /param 'texts.1'/);
    await rejectsWith(client.call('embed', { texts: Array(257).fill('x') }), ErrorCode.InvalidParams, /param 'texts'/);
    await rejectsWith(client.call('embed', { texts: ['x'.repeat(33 * 1024)] }), ErrorCode.InvalidParams, /each text must be at most 32 KiB/);
    await rejectsWith(
      client.call('embed', { texts: ['word '.repeat(200)], model: 'stories260K' }),
      ErrorCode.InvalidParams,
      /texts\[0\] is \d+ tokens but model 'stories260K' embeds at most 127/,
    );
    await rejectsWith(
      client.call('embed', { texts: ['x'], model: 'missing' }),
      ErrorCode.NotFound,
      /unknown model 'missing'; available: llama-2-tiny-random, stories260K/,
    );
    client.close();
  });

  it('answers an unknown model with -32010 listing the available ones', async () => {
    const client = await daemon.connect();
    const error = await rejectsWith(
      client.call('infer', { model: 'gpt-9', prompt: 'hi' }),
      ErrorCode.NotFound,
      /^unknown model 'gpt-9'; available: llama-2-tiny-random, stories260K/,
    );
    assert.deepEqual(error.data, { kind: 'not_found', field: 'model', allowed: ['llama-2-tiny-random', 'stories260K'] });
    client.close();
  });
});

describe('default models from settings (docs/protocol.md#models-list)', () => {
  it('uses `model` for generation and `embedding_model` (else `model`) for embeddings, and says when the setting names a missing file', async () => {
    const stateRoot = tempStateRoot();
    const settings = (values: object) => writeFileSync(join(stateRoot, 'config.json'), JSON.stringify(values));
    settings({ model: 'stories260K' });
    const daemon = await startInference({ stateRoot });
    try {
      const client = await daemon.connect();
      const generated = await client.call('infer', { prompt: 'Once upon a time', temperature: 0, max_tokens: 20 });
      assert.equal(generated.model_used, 'stories260K');
      assert.match(generated.text, /Lily/);
      assert.equal((await client.call('embed', { texts: ['hi'] })).model_used, 'stories260K');

      settings({ model: 'stories260K', embedding_model: 'llama-2-tiny-random' });
      const embedded = await client.call('embed', { texts: ['hi'] });
      assert.deepEqual([embedded.model_used, embedded.dimensions], ['llama-2-tiny-random', 8]);
      const listed = await client.call('models.list', {});
      assert.deepEqual(
        listed.models.map((model) => [model.name, model.default_for]),
        [
          ['llama-2-tiny-random', ['embedding']],
          ['stories260K', ['generation']],
          ['for-tests-ggml-tiny.en', []],
        ],
      );

      settings({ model: 'gone' });
      await rejectsWith(
        client.call('infer', { prompt: 'hi' }),
        ErrorCode.Unavailable,
        /^the default model 'gone' \(setting `model`\) is not in the models directory; available: llama-2-tiny-random, stories260K .*`car config set model <name>`/,
      );
      client.close();
    } finally {
      await daemon.close();
    }
  });
});

describe('unreadable and corrupt model files (docs/protocol.md#models-list)', () => {
  it('fails a corrupt, truncated or unreadable .gguf with -32014 naming the file and cause, keeps serving, and retries after the file is fixed', async () => {
    const modelsDir = join(tempStateRoot('car-models-'), 'models');
    mkdirSync(modelsDir);
    const file = (name: string) => join(modelsDir, `${name}.gguf`);
    writeFileSync(file('garbage'), Buffer.from('this is not a gguf file at all, just text'.repeat(100)));
    writeFileSync(file('truncated'), readFileSync(STORIES).subarray(0, 600_000));
    symlinkSync(join(modelsDir, 'nowhere.bin'), file('dangling'));
    symlinkSync(STORIES, file('stories260K'));
    const daemon = await startInference({ modelsDir });
    try {
      const client = await daemon.connect();
      const listed = await client.call('models.list', {});
      const byName = new Map(listed.models.filter(isLocalModel).map((model) => [model.name, model]));
      assert.deepEqual([...byName.keys()], ['dangling', 'garbage', 'stories260K', 'truncated']);
      assert.match(byName.get('garbage')!.error!, /Invalid GGUF magic/);
      assert.equal(byName.get('garbage')!.architecture, null);
      assert.match(byName.get('dangling')!.error!, /ENOENT/);
      assert.equal(byName.get('truncated')!.architecture, 'llama', 'the header of a truncated file still reads');

      const failures: [string, RegExp][] = [
        ['garbage', /Invalid GGUF magic/],
        ['truncated', /Failed to load model \(tensor '[^']+' data is not within the file bounds, model is corrupted or incomplete\)/],
        ['dangling', /ENOENT/],
      ];
      for (const [name, cause] of failures) {
        const error = await rejectsWith(
          client.call('infer', { model: name, prompt: 'hi' }),
          ErrorCode.Unavailable,
          new RegExp(`^cannot load model '${name}' from ${file(name)}: `),
        );
        assert.match(error.message, cause);
        assert.deepEqual(error.data, { kind: 'unavailable', model: name, file: file(name) });
        assert.equal((await client.call('daemon.status', {})).inference.state, 'failed');
        await rejectsWith(client.call('embed', { model: name, texts: ['hi'] }), ErrorCode.Unavailable, cause);
        assert.match((await client.call('infer', { ...STORY, max_tokens: 20 })).text, /Lily/, 'the daemon keeps serving other models');
        assert.deepEqual((await client.call('daemon.status', {})).inference, { state: 'ready', model: 'stories260K' });
      }

      copyFileSync(STORIES, file('truncated'));
      const repaired = await client.call('infer', { ...STORY, model: 'truncated', max_tokens: 20 });
      assert.match(repaired.text, /Lily/, 'a failed load is not remembered');
      assert.equal(repaired.model_used, 'truncated');
      client.close();
    } finally {
      await daemon.close();
    }
  });
});

describe('a daemon without any model file (docs/protocol.md#models-list)', () => {
  let daemon: DaemonProcess;
  let modelsDir: string;

  before(async () => {
    modelsDir = tempStateRoot('car-no-models-');
    daemon = await startDaemon({ env: { CAR_MODELS_DIR: modelsDir } });
  });
  after(async () => {
    await daemon.stop();
  });

  it('starts, serves everything else, and fails inference with -32014 saying how to configure a model', async () => {
    const client = await daemon.connect();
    assert.equal((await client.call('sessions.list', {})).sessions.length, 1);
    assert.deepEqual(await client.call('models.list', {}), { models_dir: modelsDir, models: [], summary: { model: null, reason: 'there is no model' } });
    const howTo = new RegExp(
      `^no model file \\(\\.gguf\\) in ${modelsDir}; fetch one with \`car models pull <hf:owner/repo/file\\.gguf \\| https://…/file\\.gguf>\`, or start the daemon with CAR_MODELS_DIR`,
    );
    await rejectsWith(client.call('infer', { prompt: 'hi' }), ErrorCode.Unavailable, howTo);
    await rejectsWith(client.call('embed', { texts: ['hi'] }), ErrorCode.Unavailable, howTo);
    const streaming = client.call('infer_stream', { prompt: 'hi' });
    const events = streamEvents(client, streaming);
    await rejectsWith(streaming, ErrorCode.Unavailable, howTo);
    assert.equal(events[0]?.type, 'error');
    const status = await client.call('daemon.status', {});
    assert.deepEqual(status.inference, { state: 'idle', model: null }, 'the engine is never started without a model');
    assert.equal(status.admission!.permits_in_use, 0);
    client.close();

    const listing = await runCli(['models', 'ls'], daemon.env);
    assert.equal(listing.code, 0, listing.stderr);
    assert.match(listing.stdout, new RegExp(`^no models in ${modelsDir}`));
    const infer = await runCli(['infer', 'hello'], daemon.env);
    assert.equal(infer.code, 1);
    assert.match(infer.stderr, /^Error: no model file \(\.gguf\) in .*\n/);
    assert.doesNotMatch(infer.stderr, /code -32014/);
  });
});

describe('inference CLI (README.md#command-line-conventions)', () => {
  let daemon: DaemonProcess;

  before(async () => {
    daemon = await startDaemon();
  });
  after(async () => {
    await daemon.stop();
  });

  it('car infer prints the generated text, with and without --stream', async () => {
    for (const extra of [[], ['--stream']]) {
      const result = await runCli(['infer', 'Once upon a time', '-m', 'stories260K', '--temperature', '0', '--max-tokens', '30', ...extra], daemon.env);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /^, there was a little girl named Lily\..*\n$/);
      assert.equal(result.stderr, '', 'no spinner when stderr is not a TTY');
    }
    const json = await runCli(['infer', 'Once upon a time', '-m', 'stories260K', '--temperature', '0', '--max-tokens', '5', '--json'], daemon.env);
    assert.deepEqual(JSON.parse(json.stdout).usage.output_tokens, 5);
    const bad = await runCli(['infer', 'hi', '--temperature', 'warm'], daemon.env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--temperature must be a number from 0 to 2, got 'warm'/);
    const hot = await runCli(['infer', 'hi', '--temperature', '3'], daemon.env);
    assert.equal(hot.code, 2, 'out of range is a usage error, caught before the daemon is asked');
    assert.match(hot.stderr, /--temperature must be a number from 0 to 2, got '3'/);
    const unknown = await runCli(['infer', 'hi', '-m', 'nope'], daemon.env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^Error: unknown model 'nope'; available: llama-2-tiny-random, stories260K/);
  });

  it('car embed prints the vector; car models ls and car admission status print tables and JSON', async () => {
    const embed = await runCli(['embed', 'hello', '-m', 'stories260K'], daemon.env);
    assert.equal(embed.code, 0, embed.stderr);
    const vector = JSON.parse(embed.stdout);
    assert.equal(vector.length, 64);

    const models = await runCli(['models', 'ls'], daemon.env);
    assert.equal(models.code, 0, models.stderr);
    const capable = 'the most capable model by its header (no model has a chat template; width × layers 320, context 128)';
    assert.equal(
      models.stdout,
      [
        'NAME                    SOURCE  SIZE    ARCH     CONTEXT  CHAT  REACHABLE  ROLES',
        'llama-2-tiny-random     local   1.8 MB  llama    4096     no    -          -',
        'stories260K             local   1.2 MB  llama    128      no    -          default,embedding',
        'for-tests-ggml-tiny.en  local   587 KB  whisper  1500     no    -          whisper',
        `default: stories260K, ${capable}`,
        `embedding: stories260K, ${capable}`,
        'whisper: for-tests-ggml-tiny.en, the first whisper.cpp model by name in the models directory',
        'summaries: extractive, because no model has a chat template (llama-2-tiny-random, stories260K)',
        '',
      ].join('\n'),
    );
    const modelsJson = await runCli(['models', 'list', '--json'], daemon.env);
    assert.equal(JSON.parse(modelsJson.stdout).models.length, 3);

    const admission = await runCli(['admission', 'status', '--json'], daemon.env);
    assert.equal(admission.code, 0, admission.stderr);
    const status = JSON.parse(admission.stdout);
    assert.deepEqual(Object.keys(status).sort(), [
      'env_override',
      'host_ram_bytes',
      'permits_available',
      'permits_in_use',
      'permits_total',
      'queued',
      'remote',
      'source',
    ]);
    assert.deepEqual(status.remote, []);
    const human = await runCli(['admission', 'status'], daemon.env);
    assert.match(
      human.stdout,
      new RegExp(`^permits +0 in use, ${status.permits_total} free, ${status.permits_total} total \\(from [\\d.]+ GB of RAM\\)\\nqueued +0\\n$`),
    );
  });
});
