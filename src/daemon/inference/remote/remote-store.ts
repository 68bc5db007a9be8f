import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { REMOTE_ROLES } from '../../../protocol/inference.js';
import { writePrivateFileAtomically } from '../../private-file.js';
import { REMOTE_MODELS_FILE } from './remote-names.js';

const remoteModelConfig = z.object({
  name: z.string(),
  url: z.string(),
  model: z.string(),
  api_key_env: z.string().optional(),
  api_key_file: z.string().optional(),
  roles: z.array(z.enum(REMOTE_ROLES)),
  max_concurrent: z.number().int().min(1),
  context_length: z.number().int().min(1),
  added_at: z.string(),
});

export type RemoteModelConfig = z.output<typeof remoteModelConfig>;

const storedFile = z.object({ version: z.literal(1), models: z.array(remoteModelConfig) });

/** The registered remote models, in the order they were added; written whole and atomically. */
export class RemoteModelStore {
  private models: RemoteModelConfig[];

  constructor(private readonly stateRoot: string | null) {
    this.models = stateRoot === null ? [] : readStored(stateRoot);
  }

  all(): readonly RemoteModelConfig[] {
    return this.models;
  }

  async put(config: RemoteModelConfig): Promise<void> {
    await this.save([...this.models.filter((model) => model.name !== config.name), config]);
  }

  async remove(name: string): Promise<void> {
    await this.save(this.models.filter((model) => model.name !== name));
  }

  private async save(models: RemoteModelConfig[]): Promise<void> {
    if (this.stateRoot !== null)
      await writePrivateFileAtomically(join(this.stateRoot, REMOTE_MODELS_FILE), JSON.stringify({ version: 1, models }, null, 2) + '\n');
    this.models = models;
  }
}

function readStored(stateRoot: string): RemoteModelConfig[] {
  let text: string;
  try {
    text = readFileSync(join(stateRoot, REMOTE_MODELS_FILE), 'utf8');
  } catch {
    return [];
  }
  let parsed: ReturnType<typeof storedFile.safeParse>;
  try {
    parsed = storedFile.safeParse(JSON.parse(text));
  } catch {
    return [];
  }
  return parsed.success ? parsed.data.models : [];
}
