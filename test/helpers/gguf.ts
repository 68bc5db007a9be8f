import { readFileSync, writeFileSync } from 'node:fs';

/** GGUF value types (gguf.md): their byte sizes, or null for strings and arrays. */
const FIXED_SIZES: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
const STRING = 8;
const ARRAY = 9;
const DEFAULT_ALIGNMENT = 32;
const UINT32 = 4;

/**
 * Copies a GGUF model and adds a string key to its header (and overwrites existing uint32
 * keys such as `llama.context_length`), so a test can give a real tiny model a chat
 * template or a smaller context without a network. Tensor offsets are relative to the data
 * section, which is re-aligned after the grown header; the tensor data is copied as is.
 */
export function withStringKey(source: string, target: string, key: string, value: string, uint32Overrides: Record<string, number> = {}): void {
  const file = Buffer.from(readFileSync(source));
  let at = 8;
  const u64 = () => {
    const value = Number(file.readBigUInt64LE(at));
    at += 8;
    return value;
  };
  const u32 = () => {
    const value = file.readUInt32LE(at);
    at += 4;
    return value;
  };
  const skipString = () => {
    const length = u64();
    at += length;
  };
  const skipValue = (type: number): void => {
    if (type === STRING) skipString();
    else if (type === ARRAY) {
      const itemType = u32();
      const count = u64();
      for (let i = 0; i < count; i++) skipValue(itemType);
    } else at += FIXED_SIZES[type]!;
  };
  if (file.toString('latin1', 0, 4) !== 'GGUF') throw new Error(`${source} is not a GGUF file`);
  const tensorCount = u64();
  const keyCount = u64();
  const keysStart = at;
  let alignment = DEFAULT_ALIGNMENT;
  for (let i = 0; i < keyCount; i++) {
    const nameLength = u64();
    const name = file.toString('utf8', at, at + nameLength);
    at += nameLength;
    const type = u32();
    if (name === 'general.alignment') alignment = file.readUInt32LE(at);
    if (name in uint32Overrides && type === UINT32) file.writeUInt32LE(uint32Overrides[name]!, at);
    skipValue(type);
  }
  const keysEnd = at;
  for (let i = 0; i < tensorCount; i++) {
    skipString();
    const dims = u32();
    at += dims * 8 + 4 + 8;
  }
  const infosEnd = at;
  const dataStart = Math.ceil(infosEnd / alignment) * alignment;

  const encodeString = (text: string) => {
    const bytes = Buffer.from(text, 'utf8');
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(bytes.length));
    return Buffer.concat([length, bytes]);
  };
  const type = Buffer.alloc(4);
  type.writeUInt32LE(STRING);
  const added = Buffer.concat([encodeString(key), type, encodeString(value)]);
  const head = Buffer.from(file.subarray(0, keysStart));
  head.writeBigUInt64LE(BigInt(keyCount + 1), 16);
  const header = Buffer.concat([head, file.subarray(keysStart, keysEnd), added, file.subarray(keysEnd, infosEnd)]);
  const padding = Buffer.alloc(Math.ceil(header.length / alignment) * alignment - header.length);
  writeFileSync(target, Buffer.concat([header, padding, file.subarray(dataStart)]));
}

/** A ChatML template, which node-llama-cpp recognises. */
export const CHATML_TEMPLATE =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
