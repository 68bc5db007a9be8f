import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { z } from 'zod';
import { environment } from '../../config/environment.js';
import { conflict, forbidden, limitExceeded, notFound, unavailable, type RpcError } from '../../protocol/errors.js';
import type { ModelPullResult, modelsDeleteParams, modelsPullParams } from '../../protocol/inference.js';
import { log } from '../log.js';
import type { ClientSession } from '../sessions/client-session.js';
import type { ModelCatalogue } from './catalogue.js';
import { DownloadFailure, downloadToPartial, removePartial } from './pull/http-download.js';
import { progressThrottle } from './pull/progress-throttle.js';
import { resolvePullSource, type HubAccess } from './pull/pull-source.js';

/** A download in progress lives beside its target under this suffix, never under the model's name. */
export const PARTIAL_SUFFIX = '.partial';
/** `models.pull.progress` at most this often, whether or not the total is known. */
const PROGRESS_INTERVAL_MS = 200;

/** How far a pull may go (issue 26): size, silence, and who may start one. */
export interface PullPolicy {
  /** The largest file a pull writes (and the announced length, when there is one). */
  maxBytes: number;
  /** No response or no data for this long ends a pull. */
  stallMs: number;
  /** Client-role sessions may pull too, not only the host role. */
  allowClients: boolean;
  /** Read at each pull, so a changed mirror or token needs no restart of an embedding process. */
  hub: () => HubAccess;
}

export const DEFAULT_PULL_POLICY: PullPolicy = { maxBytes: 128 * 2 ** 30, stallMs: 30_000, allowClients: false, hub: hubFromEnvironment };

function hubFromEnvironment(): HubAccess {
  const { huggingFaceEndpoint, huggingFaceToken } = environment();
  return { endpoint: huggingFaceEndpoint, token: huggingFaceToken };
}

/**
 * `models.pull` / `models.delete` (docs/protocol.md#models-pull, docs/protocol.md#models-delete): a download on Node's fetch (pull/http-download.ts)
 * into `<file>.partial`, resumed by the next pull, then checked (the announced size, the
 * sha256 when given, a readable model header) and only then renamed to the model's name.
 * Every pull and its outcome is logged.
 */
export class ModelPuller {
  private readonly pulling = new Set<string>();

  constructor(
    private readonly catalogue: ModelCatalogue,
    private readonly policy: PullPolicy,
  ) {}

  async pull(params: z.output<typeof modelsPullParams>, session: ClientSession, signal: AbortSignal): Promise<ModelPullResult> {
    if (!session.hasHostRights && !this.policy.allowClients) {
      throw forbidden(
        "pulling a model needs a host-role session (it writes gigabytes to the daemon's disk); `car models pull` signs in with the host token, or start the daemon with CAR_PULL_ALLOW_CLIENTS=1",
      );
    }
    const dir = this.catalogue.dir;
    if (dir === null) throw unavailable('this daemon has no models directory; set CAR_MODELS_DIR or give it a state root');
    await mkdir(dir, { recursive: true, mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
      throw unavailable(`cannot create the models directory ${dir}: ${error.code ?? error.message}`);
    });
    const started = Date.now();
    const source = await resolvePullSource(params.uri, this.policy.hub(), this.policy.stallMs, signal).catch((error: unknown) => {
      throw this.failed(params.uri, null, error, session, started);
    });
    const target = join(dir, source.fileName);
    if (this.pulling.has(target)) throw conflict(`'${source.fileName}' is already being pulled; wait for that pull to finish`, { field: 'uri' });
    this.pulling.add(target);
    const partial = target + PARTIAL_SUFFIX;
    const progress = progressThrottle(PROGRESS_INTERVAL_MS, (downloaded: number, total: number | null) =>
      session.notify('models.pull.progress', { uri: params.uri, downloaded, total }),
    );
    log.info('model pull started', { session: session.id, source: source.shown, file: source.fileName });
    try {
      const downloaded = await downloadToPartial({
        ...source,
        partialPath: partial,
        maxBytes: this.policy.maxBytes,
        stallMs: this.policy.stallMs,
        signal,
        onProgress: progress.report,
      });
      progress.report(downloaded.bytes, downloaded.total);
      progress.flush();
      const result = await this.verified(partial, source.fileName, params.sha256, downloaded.resumedFrom > 0);
      await rename(partial, target);
      await removePartial(partial);
      this.catalogue.headers.forget(target);
      log.info('model pulled', {
        session: session.id,
        file: source.fileName,
        bytes: result.size_bytes,
        resumed_from: downloaded.resumedFrom,
        ms: Date.now() - started,
      });
      return { ...result, path: target };
    } catch (error) {
      progress.flush();
      throw this.failed(params.uri, source.fileName, error, session, started);
    } finally {
      this.pulling.delete(target);
    }
  }

  /** Removes a model file and any partial download of it (host role); refused while it is being pulled. */
  async delete(params: z.output<typeof modelsDeleteParams>, session: ClientSession): Promise<{ name: string; deleted: true }> {
    if (!session.hasHostRights) throw forbidden(`deleting model '${params.name}' needs a host-role session (host_token); \`car models rm\` signs in with it`);
    const dir = this.catalogue.dir;
    const listed = await this.catalogue.list();
    const model = listed.models.find((entry) => entry.name === params.name && entry.source === 'local');
    const files =
      model?.source === 'local'
        ? [model.file]
        : ['.gguf', '.bin'].map((extension) => params.name + extension).filter((file) => dir !== null && existsSync(join(dir, file + PARTIAL_SUFFIX)));
    if (!files.length || dir === null) {
      throw notFound(`unknown model '${params.name}'; list them with \`car models ls\``, { field: 'name', allowed: listed.models.map((entry) => entry.name) });
    }
    for (const file of files) {
      const path = join(dir, file);
      if (this.pulling.has(path)) throw conflict(`model '${params.name}' is being pulled; delete it once the pull has finished`, { field: 'name' });
      await rm(path, { force: true });
      await removePartial(path + PARTIAL_SUFFIX);
      this.catalogue.headers.forget(path);
    }
    log.info('model deleted', { model: params.name });
    return { name: params.name, deleted: true };
  }

  private async verified(partial: string, fileName: string, sha256: string | undefined, resumed: boolean): Promise<Omit<ModelPullResult, 'path'>> {
    const reject = async (message: string) => {
      await removePartial(partial);
      this.catalogue.headers.forget(partial);
      return new DownloadFailure('verification_failed', `${message}; the file was removed, pull again`);
    };
    const digest = await sha256Of(partial);
    if (sha256 && digest !== sha256.toLowerCase()) throw await reject(`'${fileName}' has sha256 ${digest}, not the expected ${sha256}`);
    const header = await this.catalogue.headers.read(partial, fileName);
    this.catalogue.headers.forget(partial);
    if (!header.capabilities) throw await reject(`'${fileName}' is not a readable model (${header.error ?? 'unknown format'})`);
    return {
      name: fileName.replace(/\.(gguf|bin)$/, ''),
      file: fileName,
      size_bytes: header.size_bytes,
      sha256: digest,
      resumed,
      architecture: header.capabilities.architecture,
      chat_template: header.capabilities.chat_template,
    };
  }

  /** Logs the outcome and turns it into the error the caller gets, naming the cause and what is kept. */
  private failed(uri: string, file: string | null, error: unknown, session: ClientSession, started: number): RpcError {
    const rpcError = pullError(uri, file, error);
    log.warn('model pull failed', {
      session: session.id,
      file: file ?? undefined,
      kind: rpcError.data?.kind,
      cause: rpcError.message,
      ms: Date.now() - started,
    });
    return rpcError;
  }
}

function pullError(uri: string, file: string | null, error: unknown): RpcError {
  if (!(error instanceof DownloadFailure)) return unavailable(`cannot pull '${uri}': ${(error as Error)?.message ?? String(error)}`);
  const kept = error.keptBytes > 0 && file ? `; ${error.keptBytes} bytes are kept in ${file}${PARTIAL_SUFFIX} and the next pull resumes from them` : '';
  const data = { kind: error.kind, field: 'uri' };
  if (error.kind === 'interrupted') return unavailable(`the pull of '${uri}' was interrupted${kept || '; pull again to start it'}`, data);
  if (error.kind === 'too_large') return limitExceeded(`cannot pull '${uri}': ${error.message}`, data);
  return unavailable(`cannot pull '${uri}': ${error.message}${kept}`, data);
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
