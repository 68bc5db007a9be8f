import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { z } from 'zod';
import { conflict, forbidden, notFound, unavailable } from '../../protocol/errors.js';
import type { ModelPullResult, modelsDeleteParams, modelsPullParams } from '../../protocol/inference.js';
import { log } from '../log.js';
import type { ClientSession } from '../sessions/client-session.js';
import type { ModelCatalogue } from './catalogue.js';
import { loadLlamaModule } from './llama.js';

/** ipull keeps a partial download beside its target under this suffix (in whole 5 MiB chunks), and resumes from it. */
const PARTIAL_SUFFIX = '.ipull';
/** `models.pull.progress` at most this often, so a fast local copy does not flood the socket. */
const PROGRESS_INTERVAL_MS = 200;

/**
 * §23 `models.pull` / `models.delete`: downloads through node-llama-cpp's downloader (ipull:
 * range requests, a partial file that a later pull resumes from) into the models directory,
 * then checks the size against the server's, the sha256 when given, and that the file is a
 * model the catalogue can read; a file that fails is removed.
 */
export class ModelPuller {
  private readonly pulling = new Set<string>();

  constructor(private readonly catalogue: ModelCatalogue) {}

  async pull(params: z.output<typeof modelsPullParams>, session: ClientSession, signal: AbortSignal): Promise<ModelPullResult> {
    const dir = this.catalogue.dir;
    if (dir === null) throw unavailable('this daemon has no models directory; set CAR_MODELS_DIR or give it a state root');
    await mkdir(dir, { recursive: true, mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
      throw unavailable(`cannot create the models directory ${dir}: ${error.code ?? error.message}`);
    });
    const { createModelDownloader } = await loadLlamaModule();
    const progress = throttled(PROGRESS_INTERVAL_MS, (downloaded: number, total: number) => session.notify('models.pull.progress', { uri: params.uri, downloaded, total }));
    const downloader = await createModelDownloader({
      modelUri: params.uri,
      dirPath: dir,
      // The file's own name, so `car models ls` shows it as the publisher named it (node-llama-cpp would prefix hf: files with owner and repo).
      fileName: targetFileName(params.uri),
      // ipull's skipExisting writes straight to the target without progress metadata, which would make a cut pull unresumable.
      skipExisting: false,
      deleteTempFileOnCancel: false,
      parallelDownloads: 1,
      onProgress: ({ downloadedSize, totalSize }) => progress(downloadedSize, totalSize),
    }).catch((error: Error) => {
      throw unavailable(`cannot resolve '${params.uri}': ${error.message}`, { field: 'uri' });
    });
    const path = downloader.entrypointFilePath;
    if (this.pulling.has(path)) throw conflict(`'${basename(path)}' is already being pulled; wait for that pull to finish`, { field: 'uri' });
    this.pulling.add(path);
    try {
      const resumed = existsSync(path + PARTIAL_SUFFIX);
      const interrupted = () => unavailable(`the pull of '${params.uri}' was interrupted; the partial file is kept and the next pull resumes it`, { kind: 'interrupted' });
      try {
        // ipull's cancel can wait out its retry back-off; the caller is answered at once.
        await Promise.race([downloader.download({ signal }), untilAborted(signal)]);
      } catch (error) {
        if (signal.aborted) throw interrupted();
        throw unavailable(`cannot download '${params.uri}': ${(error as Error).message}; pull again to resume`);
      }
      // A cancelled ipull download resolves rather than rejects.
      if (signal.aborted) throw interrupted();
      return await this.verified(path, downloader.totalSize, params.sha256, resumed);
    } finally {
      this.pulling.delete(path);
    }
  }

  /** Removes a model file (host role); refused while it is being pulled. */
  async delete(params: z.output<typeof modelsDeleteParams>, session: ClientSession): Promise<{ name: string; deleted: true }> {
    if (!session.hasHostRights) throw forbidden(`deleting model '${params.name}' needs a host-role session (host_token); \`car models rm\` signs in with it`);
    const listed = await this.catalogue.list();
    const model = listed.models.find((entry) => entry.name === params.name);
    if (!model) throw notFound(`unknown model '${params.name}'; list them with \`car models ls\``, { field: 'name', allowed: listed.models.map((entry) => entry.name) });
    const path = join(this.catalogue.dir!, model.file);
    if (this.pulling.has(path)) throw conflict(`model '${params.name}' is being pulled; delete it once the pull has finished`, { field: 'name' });
    await rm(path, { force: true });
    await rm(path + PARTIAL_SUFFIX, { force: true });
    this.catalogue.headers.forget(path);
    log.info('model deleted', { model: params.name });
    return { name: params.name, deleted: true };
  }

  private async verified(path: string, expectedSize: number, sha256: string | undefined, resumed: boolean): Promise<ModelPullResult> {
    const reject = async (message: string) => {
      await rm(path, { force: true });
      this.catalogue.headers.forget(path);
      return unavailable(`${message}; the file was removed, pull again`, { kind: 'verification_failed' });
    };
    const size = (await stat(path)).size;
    if (expectedSize > 0 && size !== expectedSize) throw await reject(`'${basename(path)}' is ${size} bytes but the server announced ${expectedSize}`);
    const digest = await sha256Of(path);
    if (sha256 && digest !== sha256.toLowerCase()) throw await reject(`'${basename(path)}' has sha256 ${digest}, not the expected ${sha256}`);
    const header = await this.catalogue.headers.read(path);
    if (!header.capabilities) throw await reject(`'${basename(path)}' is not a readable model (${header.error ?? 'unknown format'})`);
    const file = basename(path);
    return { name: file.replace(/\.(gguf|bin)$/, ''), file, path, size_bytes: size, sha256: digest, resumed, architecture: header.capabilities.architecture, chat_template: header.capabilities.chat_template };
  }
}

/** The last path segment of the URI (without query or branch). */
function targetFileName(uri: string): string | undefined {
  const path = uri.startsWith('hf:') ? uri.slice(3).replace(/#.*$/, '') : new URL(uri).pathname;
  const last = decodeURIComponent(path.split('/').at(-1) ?? '');
  return /\.(gguf|bin)$/.test(last) ? last : undefined;
}

/** Calls `send` at most every `intervalMs`, always with the latest values, and at once for the final one. */
function throttled(intervalMs: number, send: (done: number, total: number) => void): (done: number, total: number) => void {
  let last = 0;
  let timer: NodeJS.Timeout | null = null;
  let latest: [number, number] = [0, 0];
  const flush = () => {
    timer = null;
    last = Date.now();
    send(...latest);
  };
  return (done, total) => {
    latest = [done, total];
    if (done >= total) {
      if (timer) clearTimeout(timer);
      flush();
    } else if (!timer) timer = setTimeout(flush, Math.max(0, last + intervalMs - Date.now()));
  };
}

function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

function sha256Of(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}
