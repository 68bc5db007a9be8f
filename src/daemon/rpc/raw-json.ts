/**
 * A result a handler has already serialised as UTF-8 (for hot listings): its parts are
 * written into the response frame as they are, never re-stringified or re-encoded.
 * `T` is the result the bytes encode, so the contract still checks the handler.
 */
export class RawJson<T = unknown> {
  declare private readonly encodes?: T;
  constructor(readonly parts: readonly Buffer[]) {}
}
