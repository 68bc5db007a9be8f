import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { totalmem } from 'node:os';
import { describe, it } from 'node:test';
import type { CarClient } from '../../../src/client/node.js';
import { InferenceAdmission, type Permit } from '../../../src/daemon/inference/admission.js';
import { ConfigError } from '../../../src/errors.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { runPaths } from '../../../src/paths.js';
import { startDaemon } from '../../helpers/daemon.js';
import { tempStateRoot } from '../../helpers/paths.js';
import { STORY, streamEvents, startInference } from './support.js';
import { journalEvents } from '../../helpers/journal.js';
import { rejectsWith } from '../../helpers/rpc.js';
import { waitFor } from '../../helpers/wait.js';

const queuedOf = async (client: CarClient) => (await client.call('admission.status', {})).queued;

describe('InferenceAdmission (docs/protocol.md#admission-status)', () => {
  it('sizes permits from RAM (one per 8 GiB, 1-8) unless CAR_INFERENCE_MAX_CONCURRENT or the embedder says otherwise', () => {
    const fromRam = new InferenceAdmission(undefined).status();
    assert.deepEqual(fromRam, {
      permits_total: Math.min(8, Math.max(1, Math.floor(totalmem() / 2 ** 33))),
      permits_available: fromRam.permits_total,
      permits_in_use: 0,
      env_override: '',
      queued: 0,
      source: 'ram',
      host_ram_bytes: totalmem(),
      remote: [],
    });
    const fromEnv = new InferenceAdmission(undefined, '64').status();
    assert.equal(fromEnv.permits_total, 64, 'the override is used exactly, beyond the RAM cap of 8');
    assert.equal(fromEnv.source, 'env');
    assert.equal(fromEnv.env_override, '64');
    const fromConfig = new InferenceAdmission(2, '5').status();
    assert.equal(fromConfig.permits_total, 2);
    assert.equal(fromConfig.source, 'config');
    assert.equal(fromConfig.env_override, '');
  });

  it('refuses a CAR_INFERENCE_MAX_CONCURRENT that is not an integer from 1 to 64', () => {
    for (const bad of ['0', '65', 'four', '1.5', '-1', ' ', '2x']) {
      assert.throws(
        () => new InferenceAdmission(undefined, bad),
        (error: unknown) =>
          error instanceof ConfigError &&
          error.exitCode === 2 &&
          error.message === `CAR_INFERENCE_MAX_CONCURRENT must be an integer from 1 to 64, got '${bad}'`,
        bad,
      );
    }
    assert.throws(() => new InferenceAdmission(0), ConfigError);
  });

  it('grants permits in FIFO order, lets an aborted waiter leave the queue, and releases each permit once', async () => {
    const admission = new InferenceAdmission(1);
    const first = await admission.acquire();
    const order: string[] = [];
    const leaving = new AbortController();
    const waiters = ['b', 'c', 'd'].map((name) =>
      admission.acquire(name === 'c' ? leaving.signal : undefined).then(
        (permit) => {
          order.push(name);
          return permit;
        },
        () => {
          order.push(`${name} left`);
          return null;
        },
      ),
    );
    assert.equal(admission.status().queued, 3);
    leaving.abort(new Error('gone'));
    await waiters[1];
    assert.equal(admission.status().queued, 2);
    first.release();
    first.release();
    const b = (await waiters[0]) as Permit;
    assert.equal(admission.status().permits_in_use, 1);
    assert.equal(admission.status().queued, 1);
    b.release();
    const d = (await waiters[2]) as Permit;
    d.release();
    assert.deepEqual(order, ['c left', 'b', 'd']);
    assert.equal(admission.status().permits_in_use, 0);
    assert.equal(admission.status().permits_available, 1);
  });
});

describe('admission in front of inference (docs/protocol.md#admission-status, docs/protocol.md#teardown, step 1)', () => {
  it('with CAR_INFERENCE_MAX_CONCURRENT=1 runs eight concurrent calls one at a time, in FIFO order', async () => {
    const daemon = await startDaemon({ env: { CAR_INFERENCE_MAX_CONCURRENT: '1' } });
    try {
      const caller = await daemon.connect();
      const watcher = await daemon.connect();
      const statuses: { in_use: number; queued: number }[] = [];
      let running = true;
      const watching = (async () => {
        while (running) {
          const status = await watcher.call('admission.status', {});
          assert.equal(status.permits_total, 1);
          assert.equal(status.source, 'env');
          statuses.push({ in_use: status.permits_in_use, queued: status.queued });
        }
      })();

      const answered: number[] = [];
      const calls = Array.from({ length: 8 }, (_, index) =>
        caller.call('infer', { ...STORY, max_tokens: 100 }).then((result) => (answered.push(index), result)),
      );
      const results = await Promise.all(calls);
      running = false;
      await watching;

      assert.deepEqual(answered, [0, 1, 2, 3, 4, 5, 6, 7], 'responses come back in the order the calls were sent');
      assert.ok(results.every((result) => /Lily/.test(result.text)));
      assert.ok(
        statuses.every((status) => status.in_use <= 1),
        'never more than one permit in use',
      );
      assert.ok(
        statuses.some((status) => status.in_use === 1 && status.queued >= 1),
        'calls were seen queueing behind the running one',
      );

      const { journal_file } = await caller.call('daemon.status', {});
      caller.close();
      watcher.close();
      assert.equal(await daemon.stop(), 0);
      const completed = journalEvents(journal_file, 'inference_completed');
      assert.deepEqual(
        completed.map((event) => event.data.trace_id),
        results.map((result) => result.trace_id),
        'calls were admitted and completed in FIFO order',
      );
      // Each call generated from (end - generating time) to end; the next one started after the previous ended.
      for (let i = 1; i < completed.length; i++) {
        const previousEnd = Date.parse(completed[i - 1]!.ts);
        const start = Date.parse(completed[i]!.ts) - (Number(completed[i]!.data.latency_ms) - Number(completed[i]!.data.queued_ms));
        assert.ok(start >= previousEnd, `call ${i} started generating at ${start}, before call ${i - 1} ended at ${previousEnd}`);
      }
      assert.ok(completed.slice(1).every((event) => Number(event.data.queued_ms) > 0));
    } finally {
      await daemon.stop();
    }
  });

  it('refuses to start with an invalid CAR_INFERENCE_MAX_CONCURRENT (exit 2, message names the value)', async () => {
    const stateRoot = tempStateRoot();
    await assert.rejects(startDaemon({ stateRoot, env: { CAR_INFERENCE_MAX_CONCURRENT: 'lots' } }), (error: Error) => {
      assert.match(error.message, /^daemon exited with 2: /);
      assert.match(error.message, /CAR_INFERENCE_MAX_CONCURRENT must be an integer from 1 to 64, got 'lots'/);
      return true;
    });
    assert.equal(existsSync(runPaths(stateRoot).lock), false, 'the refused start leaves no lock behind');
  });

  it('frees the permit when a client disconnects mid-stream, and generation stops', async () => {
    const daemon = await startInference({ admissionPermits: 1 });
    try {
      const streamer = await daemon.connect();
      const other = await daemon.connect();
      const streaming = streamer.call('infer_stream', { ...STORY, max_tokens: 8192 });
      streaming.catch(() => undefined);
      const events = streamEvents(streamer, streaming);
      await waitFor(() => events.length > 0, 'the stream to start');
      assert.equal((await other.call('admission.status', {})).permits_in_use, 1);

      const queued = other.call('infer', { ...STORY, max_tokens: 20 });
      await waitFor(async () => (await queuedOf(other)) === 1, 'the second call to queue');
      streamer.close();
      const result = await queued;
      assert.match(result.text, /Lily/);
      await waitFor(async () => (await other.call('admission.status', {})).permits_in_use === 0, 'the permit to come back');

      const failed = journalEvents(daemon.state.journal, 'inference_failed');
      assert.deepEqual(
        failed.at(-1)!.data,
        { method: 'infer_stream', model: 'stories260K', error_kind: 'aborted' },
        'the stream was stopped, not run to its end',
      );
      assert.equal(journalEvents(daemon.state.journal, 'inference_completed').filter((event) => event.data.method === 'infer_stream').length, 0);
      other.close();
    } finally {
      await daemon.close();
    }
  });

  it('removes a queued call from the queue when its client disconnects, or when its deadline passes', async () => {
    const daemon = await startInference({ admissionPermits: 1, handlerTimeoutMs: 1000 });
    const held = await daemon.state.admission.acquire();
    try {
      const watcher = await daemon.connect();
      const leaver = await daemon.connect();
      leaver.call('infer', { ...STORY, max_tokens: 5 }).catch(() => undefined);
      await waitFor(async () => (await queuedOf(watcher)) === 1, 'the call to queue');
      leaver.close();
      await waitFor(async () => (await queuedOf(watcher)) === 0, 'the waiter to leave');

      await rejectsWith(watcher.call('infer', { ...STORY, max_tokens: 5 }), ErrorCode.DeadlineExceeded, /handler 'infer' exceeded its 1s response deadline/);
      await waitFor(async () => (await queuedOf(watcher)) === 0, 'the timed-out waiter to leave');
      const failures = journalEvents(daemon.state.journal, 'inference_failed').map((event) => (event.data as { error_kind: string }).error_kind);
      assert.equal(failures.at(-1), 'deadline', `the journal names the deadline, got ${failures.join(', ')}`);
      assert.equal((await watcher.call('admission.status', {})).permits_in_use, 1, 'only the held permit is in use');
      watcher.close();
    } finally {
      held.release();
      await daemon.close();
    }
  });

  it('answers a stream cancelled while it queued with empty text and stop_reason "cancelled"', async () => {
    const daemon = await startInference({ admissionPermits: 1 });
    const held = await daemon.state.admission.acquire();
    try {
      const client = await daemon.connect();
      const pending = client.call('infer_stream', { ...STORY, max_tokens: 50 });
      const requestId = pending.id;
      const events = streamEvents(client, pending);
      await waitFor(async () => (await queuedOf(client)) === 1, 'the stream to queue');
      assert.deepEqual(await client.call('inference.stream.cancel', { request_id: requestId }), { cancelled: true });
      const result = await pending;
      assert.equal(result.text, '');
      assert.equal(result.stop_reason, 'cancelled');
      assert.deepEqual(result.usage, { input_tokens: 0, output_tokens: 0 });
      assert.deepEqual(
        events.map((event) => event.type),
        ['usage', 'stop_reason'],
      );
      assert.equal(daemon.state.admission.status().queued, 0);
      client.close();
    } finally {
      held.release();
      await daemon.close();
    }
  });

  it('sends infer.progress about every 10 s while a call waits', async () => {
    const daemon = await startInference({ admissionPermits: 1 });
    const held = await daemon.state.admission.acquire();
    try {
      const client = await daemon.connect();
      const progress: unknown[] = [];
      client.on('infer.progress', (params) => progress.push(params));
      const pending = client.call('infer', { ...STORY, max_tokens: 5 });
      const { id } = pending;
      await waitFor(() => progress.length > 0, 'an infer.progress notification', 20_000);
      assert.deepEqual(progress, [{ id }]);
      held.release();
      assert.match((await pending).text, /there/);
      client.close();
    } finally {
      held.release();
      await daemon.close();
    }
  });
});
