import { limitExceeded } from '../../protocol/errors.js';

/** Free-form values (payload, context, metadata, display) kept in the registry and its 500-event history. */
export const MAX_FREE_FORM_BYTES = 64 * 1024;

/** Refuses a free-form value whose JSON is larger than 64 KiB (`-32013`), so the history stays bounded in memory. */
export function assertFreeFormSize(value: unknown, field: string): void {
  if (value === undefined || value === null) return;
  const bytes = Buffer.byteLength(JSON.stringify(value));
  if (bytes > MAX_FREE_FORM_BYTES) {
    throw limitExceeded(
      `'${field}' is ${bytes} bytes of JSON; the limit is ${MAX_FREE_FORM_BYTES} (64 KiB), so send a smaller value or a reference to the data`,
      { field },
    );
  }
}
