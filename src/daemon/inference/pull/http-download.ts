import { createWriteStream } from 'node:fs';
import { open, readFile, rm, stat, statfs, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describeNetworkError } from '../network-error.js';
import { Watchdog } from '../watchdog.js';

export type DownloadFailureKind =
  'unreachable' | 'http_status' | 'stalled' | 'too_large' | 'disk_full' | 'disk' | 'cut' | 'interrupted' | 'verification_failed';

/** Why a download stopped, with what is left of the partial file. */
export class DownloadFailure extends Error {
  constructor(
    readonly kind: DownloadFailureKind,
    message: string,
    /** Bytes of the partial file after the failure (a later pull resumes from them). */
    readonly keptBytes = 0,
  ) {
    super(message);
  }
}

export interface DownloadRequest {
  url: string;
  headers: Record<string, string>;
  /** Where the bytes go; a partial file an earlier download of the same URL left is continued. */
  partialPath: string;
  /** Never more bytes than this, whatever the server announces or sends. */
  maxBytes: number;
  /** No response, or no body data, for this long ends the download. */
  stallMs: number;
  signal: AbortSignal;
  onProgress(downloaded: number, total: number | null): void;
}

export interface Downloaded {
  bytes: number;
  total: number | null;
  /** Bytes an earlier download had left, which this one continued from. */
  resumedFrom: number;
}

/** Kept beside the partial file: the URL and validator a resume must match (`If-Range`). */
interface PartialRecord {
  url: string;
  validator: string | null;
  total: number | null;
}

export const recordPathOf = (partialPath: string) => `${partialPath}.json`;

/**
 * One HTTP download into a partial file, on Node's fetch: resumed with `Range` (and
 * `If-Range`, so a file changed on the server starts over), bounded by `maxBytes` and by the
 * length the server announces, ended after `stallMs` without data. No retries: a failure
 * names its cause at once and the partial file stays for the next pull.
 */
export async function downloadToPartial(request: DownloadRequest): Promise<Downloaded> {
  request.signal.throwIfAborted();
  const record = await readRecord(request.partialPath);
  const offset = record?.url === request.url ? await sizeOf(request.partialPath) : 0;
  const controller = new AbortController();
  const forward = () => controller.abort(request.signal.reason);
  request.signal.addEventListener('abort', forward, { once: true });
  const watchdog = new Watchdog(request.stallMs, () => controller.abort(new Error('stalled')));
  let responded = false;
  let written = 0;
  try {
    const response = await fetch(request.url, {
      headers: { ...request.headers, 'accept-encoding': 'identity', ...(offset > 0 ? rangeHeaders(offset, record!) : {}) },
      signal: controller.signal,
      redirect: 'follow',
    });
    responded = true;
    watchdog.kick();
    const body = await bodyPlan(response, offset, record);
    if (body === 'restart') {
      await removePartial(request.partialPath);
      return await downloadToPartial(request);
    }
    if (body === 'complete') return { bytes: offset, total: offset, resumedFrom: offset };
    const { start, total } = body;
    await checkRoom(request, start, total);
    await writeFile(recordPathOf(request.partialPath), JSON.stringify({ url: request.url, validator: validatorOf(response), total } satisfies PartialRecord), {
      mode: 0o600,
    });
    const limit = Math.min(request.maxBytes, total ?? Infinity);
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        const bytes = start + written + chunk.length;
        if (bytes > limit) return done(total !== null && bytes > total ? overAnnounced(total) : overCap(request.maxBytes, bytes, 'so far'));
        written += chunk.length;
        watchdog.kick();
        request.onProgress(start + written, total);
        done(null, chunk);
      },
    });
    await pipeline(Readable.fromWeb(response.body as never), counter, createWriteStream(request.partialPath, { flags: start > 0 ? 'a' : 'w', mode: 0o600 }), {
      signal: controller.signal,
    });
    await syncFile(request.partialPath);
    const bytes = start + written;
    if (total !== null && bytes < total) throw new DownloadFailure('cut', `the server ended the body after ${bytes} of the ${total} bytes it announced`);
    return { bytes, total, resumedFrom: start };
  } catch (error) {
    throw await failure(error, request, { responded, stalled: watchdog.fired, offset });
  } finally {
    watchdog.stop();
    request.signal.removeEventListener('abort', forward);
  }
}

/** Removes a partial file and its record. */
export async function removePartial(partialPath: string): Promise<void> {
  await rm(partialPath, { force: true });
  await rm(recordPathOf(partialPath), { force: true });
}

type BodyPlan = { start: number; total: number | null } | 'restart' | 'complete';

async function bodyPlan(response: Response, offset: number, record: PartialRecord | null): Promise<BodyPlan> {
  if (response.status === 206) {
    const range = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(response.headers.get('content-range') ?? '');
    if (!range || Number(range[1]) !== offset) return cancelled(response, 'restart');
    return { start: offset, total: range[2] === '*' ? null : Number(range[2]) };
  }
  if (response.status === 416 && offset > 0) return cancelled(response, record?.total === offset ? 'complete' : 'restart');
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    throw new DownloadFailure('http_status', `the server answered ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
  }
  const length = response.headers.get('content-length');
  return { start: 0, total: length !== null && /^\d+$/.test(length) ? Number(length) : null };
}

async function cancelled<T>(response: Response, plan: T): Promise<T> {
  await response.body?.cancel().catch(() => undefined);
  return plan;
}

function rangeHeaders(offset: number, record: PartialRecord): Record<string, string> {
  return { range: `bytes=${offset}-`, ...(record.validator ? { 'if-range': record.validator } : {}) };
}

/** A strong ETag, else Last-Modified: what `If-Range` may carry (a weak ETag may not). */
function validatorOf(response: Response): string | null {
  const etag = response.headers.get('etag');
  if (etag && !etag.startsWith('W/')) return etag;
  return response.headers.get('last-modified');
}

/** Refuses at once what cannot fit: an announced size over the cap, or more than the disk has free. */
async function checkRoom(request: DownloadRequest, start: number, total: number | null): Promise<void> {
  if (total === null) return;
  if (total > request.maxBytes) throw overCap(request.maxBytes, total, 'announced');
  const disk = await statfs(dirname(request.partialPath));
  const free = disk.bavail * disk.bsize;
  if (total - start > free) throw new DownloadFailure('disk_full', `the file needs ${total - start} more bytes but the disk has ${free} free`, start);
}

function overCap(maxBytes: number, bytes: number, how: 'so far' | 'announced'): DownloadFailure {
  return new DownloadFailure(
    'too_large',
    `the file is larger than the pull limit of ${maxBytes} bytes (${bytes} bytes ${how}); raise CAR_PULL_MAX_BYTES to pull it`,
  );
}

function overAnnounced(announced: number): DownloadFailure {
  return new DownloadFailure('too_large', `the server sent more than the ${announced} bytes it announced`);
}

const FILE_SYSCALLS = new Set(['open', 'write', 'fsync', 'close', 'statfs']);

async function failure(error: unknown, request: DownloadRequest, at: { responded: boolean; stalled: boolean; offset: number }): Promise<DownloadFailure> {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    // A full disk also stops the journal and sign-ins (issue 26): the space goes back at once.
    await removePartial(request.partialPath);
    return new DownloadFailure('disk_full', `the disk is full (${code}); the partial file was removed to free the space`);
  }
  if (error instanceof DownloadFailure && error.kind === 'too_large') {
    // Over the cap it can never become a model; keeping it would only hold the disk.
    await removePartial(request.partialPath);
    return error;
  }
  const kept = await sizeOf(request.partialPath);
  if (request.signal.aborted) return new DownloadFailure('interrupted', 'interrupted', kept);
  if (at.stalled) return new DownloadFailure('stalled', `no data for ${Math.round(request.stallMs / 1000)} s${at.responded ? '' : ' (no response)'}`, kept);
  if (error instanceof DownloadFailure) return new DownloadFailure(error.kind, error.message, kept);
  if (FILE_SYSCALLS.has((error as NodeJS.ErrnoException).syscall ?? '')) return new DownloadFailure('disk', `cannot write the partial file (${code})`, kept);
  if (!at.responded) return new DownloadFailure('unreachable', describeNetworkError(error), kept);
  return new DownloadFailure('cut', `the download broke off after ${kept} bytes: ${describeNetworkError(error)}`, kept);
}

async function readRecord(partialPath: string): Promise<PartialRecord | null> {
  try {
    return JSON.parse(await readFile(recordPathOf(partialPath), 'utf8')) as PartialRecord;
  } catch {
    return null;
  }
}

async function sizeOf(path: string): Promise<number> {
  return stat(path).then(
    (info) => info.size,
    () => 0,
  );
}

async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
