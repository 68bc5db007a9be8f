import { open, stat } from 'node:fs/promises';
import { loadLlamaModule } from './llama.js';

/** What a model file's header says about what the model can do; never guessed from its file name. */
export interface ModelCapabilities {
  format: 'gguf' | 'ggml';
  architecture: string | null;
  context_length: number | null;
  chat_template: boolean;
  /** An encoder with a pooling layer (bert and kin): it embeds, it does not chat. */
  embedding_only: boolean;
  /** embedding width × layers: a size-free measure of how much the model can represent. */
  capacity: number;
}

export interface ModelHeader {
  size_bytes: number;
  capabilities: ModelCapabilities | null;
  /** Why the header could not be read. */
  error?: string;
}

const EMBEDDING_ARCHITECTURES = new Set(['bert', 'nomic-bert', 'nomic-bert-moe', 'jina-bert-v2', 'jina-bert-v3', 't5encoder', 'modern-bert', 'neo-bert']);
/** whisper.cpp's legacy model files start with 'ggml' as a little-endian u32. */
const GGML_MAGIC = 0x67676d6c;

/**
 * Reads and caches model headers by path, size and modification time: a file replaced in
 * place is read again, an unchanged one never. Concurrent callers share one read.
 */
export class ModelHeaders {
  private readonly cache = new Map<string, { key: string; header: Promise<ModelHeader> }>();

  /** `name` is the file name whose extension says the format, when `path` has another (a download's partial file). */
  async read(path: string, name = path): Promise<ModelHeader> {
    let key: string;
    try {
      const info = await stat(path);
      key = `${info.size}:${info.mtimeMs}`;
    } catch (error) {
      return { size_bytes: 0, capabilities: null, error: `cannot read the file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})` };
    }
    const cached = this.cache.get(path);
    if (cached?.key === key) return cached.header;
    const header = describeFile(path, name);
    this.cache.set(path, { key, header });
    return header;
  }

  forget(path: string): void {
    this.cache.delete(path);
  }
}

async function describeFile(path: string, name: string): Promise<ModelHeader> {
  const size = (await stat(path)).size;
  try {
    if (name.endsWith('.bin')) return { size_bytes: size, capabilities: await describeGgml(path) };
    return { size_bytes: size, capabilities: await describeGguf(path) };
  } catch (error) {
    return { size_bytes: size, capabilities: null, error: (error as Error).message.slice(0, 200) };
  }
}

async function describeGguf(path: string): Promise<ModelCapabilities> {
  const { readGgufFileInfo } = await loadLlamaModule();
  const gguf = await readGgufFileInfo(path, { readTensorInfo: false, sourceType: 'filesystem', logWarnings: false });
  const architecture = gguf.metadata.general?.architecture ?? null;
  const meta = gguf.architectureMetadata as Record<string, unknown>;
  const template = (gguf.metadata.tokenizer as { chat_template?: unknown } | undefined)?.chat_template;
  const width = numberOr(meta.embedding_length, 0);
  return {
    format: 'gguf',
    architecture,
    context_length: typeof meta.context_length === 'number' ? meta.context_length : null,
    chat_template: typeof template === 'string' && template.trim() !== '',
    embedding_only: (architecture !== null && EMBEDDING_ARCHITECTURES.has(architecture)) || meta.pooling_type !== undefined,
    capacity: width * numberOr(meta.block_count, 0),
  };
}

/** A whisper.cpp model: the magic, then its hyper-parameters (n_vocab, n_audio_ctx, n_audio_state, …). */
async function describeGgml(path: string): Promise<ModelCapabilities> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(16);
    await handle.read(head, 0, 16, 0);
    if (head.readUInt32LE(0) !== GGML_MAGIC) throw new Error("not a ggml model file (no 'ggml' magic)");
    return {
      format: 'ggml',
      architecture: 'whisper',
      context_length: head.readInt32LE(8),
      chat_template: false,
      embedding_only: false,
      capacity: head.readInt32LE(12),
    };
  } finally {
    await handle.close();
  }
}

const numberOr = (value: unknown, fallback: number) => (typeof value === 'number' ? value : fallback);
