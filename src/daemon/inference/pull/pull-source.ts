import { describeNetworkError } from '../network-error.js';
import { DownloadFailure } from './http-download.js';

/** Where `hf:` pulls go and the token for gated repositories (MODEL_ENDPOINT / HF_ENDPOINT, HF_TOKEN, as node-llama-cpp reads them). */
export interface HubAccess {
  endpoint?: string;
  token?: string;
}

export interface PullSource {
  url: string;
  /** The file's own name, as the publisher named it. */
  fileName: string;
  headers: Record<string, string>;
  /** The URL without its query, for the log (a signed URL's query can be a credential). */
  shown: string;
}

const DEFAULT_HUB = 'https://huggingface.co/';
const DEFAULT_BRANCH = 'main';

/**
 * The download URL of a pull URI: an http(s) URL as it is; `hf:owner/repo/path/file.gguf#branch`
 * as the hub's `resolve` URL; `hf:owner/repo[:quant]` through the hub's manifest (the route
 * llama.cpp and node-llama-cpp use), bounded by `stallMs` like the download itself.
 */
export async function resolvePullSource(uri: string, hub: HubAccess, stallMs: number, signal: AbortSignal): Promise<PullSource> {
  if (!uri.startsWith('hf:')) return source(uri, lastSegment(new URL(uri).pathname), {});
  const endpoint = withSlash(hub.endpoint ?? DEFAULT_HUB);
  const headers: Record<string, string> = hub.token ? { authorization: `Bearer ${hub.token}` } : {};
  const [path, branch = DEFAULT_BRANCH] = uri.slice(3).split('#') as [string, string?];
  const [owner, repo, ...file] = path.split('/');
  if (file.length)
    return source(`${endpoint}${owner}/${repo}/resolve/${encodeURIComponent(branch)}/${file.map(encodeURIComponent).join('/')}`, file.at(-1)!, headers);
  const [name, tag = 'latest'] = repo!.split(':') as [string, string?];
  const fileName = await manifestFile(`${endpoint}v2/${owner}/${name}/manifests/${encodeURIComponent(tag)}`, headers, stallMs, signal);
  if (/-\d{5}-of-\d{5}\.gguf$/.test(fileName)) {
    throw new DownloadFailure('http_status', `'${uri}' is a split model (${fileName}); split GGUF files are not supported, pull a single-file quantization`);
  }
  return source(
    `${endpoint}${owner}/${name}/resolve/${DEFAULT_BRANCH}/${fileName.split('/').map(encodeURIComponent).join('/')}`,
    lastSegment(fileName),
    headers,
  );
}

async function manifestFile(url: string, headers: Record<string, string>, stallMs: number, signal: AbortSignal): Promise<string> {
  let response: Response;
  try {
    // The hub answers with `ggufFile` only to llama.cpp's user agent.
    response = await fetch(url, { headers: { ...headers, 'user-agent': 'llama-cpp' }, signal: AbortSignal.any([signal, AbortSignal.timeout(stallMs)]) });
  } catch (error) {
    if (signal.aborted) throw new DownloadFailure('interrupted', 'interrupted');
    if ((error as Error).name === 'TimeoutError') throw new DownloadFailure('stalled', `no answer from the hub for ${Math.round(stallMs / 1000)} s`);
    throw new DownloadFailure('unreachable', describeNetworkError(error));
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    const hint = response.status === 404 || response.status === 400 ? ' (no such repository or quantization)' : '';
    throw new DownloadFailure('http_status', `the hub answered ${response.status}${hint}`);
  }
  const manifest = (await response.json().catch(() => null)) as { ggufFile?: { rfilename?: unknown } } | null;
  const file = manifest?.ggufFile?.rfilename;
  if (typeof file !== 'string' || !file.endsWith('.gguf')) throw new DownloadFailure('http_status', 'the hub named no GGUF file for it');
  return file;
}

function source(url: string, fileName: string, headers: Record<string, string>): PullSource {
  const parsed = new URL(url);
  return { url, fileName, headers, shown: `${parsed.origin}${parsed.pathname}` };
}

const lastSegment = (path: string) => decodeURIComponent(path.split('/').at(-1) ?? '');
const withSlash = (url: string) => (url.endsWith('/') ? url : `${url}/`);
