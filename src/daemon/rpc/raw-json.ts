/**
 * A result a handler has already serialised as UTF-8 (for hot listings): its parts are
 * written into the response frame as they are, never re-stringified or re-encoded.
 */
export class RawJson {
  constructor(readonly parts: readonly Buffer[]) {}
}
