import type { z } from 'zod';

/**
 * The declaration kit of the contract (one descriptor per method and per notification,
 * after vscode-jsonrpc's `RequestType<P, R, E>`): the daemon's method tables, the client's
 * typed `call` / `on`, the `rpc.discover` document and docs/protocol.md are all derived from
 * these descriptors. Params, results and notification payloads are zod schemas; their
 * TypeScript types are derived from the schemas, never written beside them.
 */

declare const phantom: unique symbol;
/** A type carried by a descriptor for the compiler only; it has no value at run time. */
export interface Phantom<T> {
  readonly [phantom]?: T;
}
const PHANTOM: Phantom<never> = Object.freeze({});

export interface MethodDescriptor<S extends z.ZodType = z.ZodType, R = unknown, P = z.input<S>> {
  /** Validates params on the daemon; the handler receives its output. */
  readonly params: S;
  /** The result's schema (the handler must return its output); documents the method in `rpc.discover` and docs/protocol.md. */
  readonly result: z.ZodType<R> | Phantom<R>;
  /** What a client passes; the schema's input unless the descriptor narrows it with `accepts`. */
  readonly clientParams?: Phantom<P>;
  /** One sentence for the generated documentation. */
  readonly summary?: string;
}

/** A server → client notification: the schema of its params (a `carries<P>()` phantom until converted). */
export type NotificationDescriptor<P = unknown> = z.ZodType<P> | Phantom<P>;

/** A server → client request (docs/protocol.md#server-requests): what the daemon sends and what the client must answer. */
export interface ServerRequestDescriptor<P = unknown, R = unknown> {
  readonly params: z.ZodType<P>;
  readonly result: z.ZodType<R>;
  readonly summary?: string;
}

/**
 * @deprecated Transition only: a result type without a schema, so `rpc.discover` and the docs
 * cannot describe it (test/protocol/openrpc.test.ts lists such methods). Write the zod schema
 * instead: `result: addFactResult`, with `export type AddFactResult = z.output<typeof addFactResult>`.
 */
export const returns = <R>(): Phantom<R> => PHANTOM;
/** Narrows what clients may pass below what the schema tolerates (the schema stays lenient to word its own errors). */
export const accepts = <P>(): Phantom<P> => PHANTOM;
/** @deprecated Transition only, like `returns`: give the notification's params schema instead. */
export const carries = <P>(): Phantom<P> => PHANTOM;

export type MethodDescriptors = Record<string, MethodDescriptor<any, any, any>>;
export type NotificationDescriptors = Record<string, NotificationDescriptor<any>>;
export type ServerRequestDescriptors = Record<string, ServerRequestDescriptor<any, any>>;

/** Declares a namespace's methods, each name written once as its key. */
export const defineMethods = <const D extends MethodDescriptors>(methods: D): D => methods;
export const defineNotifications = <const D extends NotificationDescriptors>(notifications: D): D => notifications;
export const defineServerRequests = <const D extends ServerRequestDescriptors>(requests: D): D => requests;

/** Whether a descriptor's result or payload is a zod schema (else a phantom, which has no `_zod`). */
export const isSchema = (value: unknown): value is z.ZodType => typeof value === 'object' && value !== null && '_zod' in value;

/** What a client passes: `accepts<P>()` when given, else the schema's input (`{}` read as "no params"). */
export type DescriptorParams<D> = D extends { clientParams: Phantom<infer P> }
  ? P
  : D extends { params: infer S extends z.ZodType }
    ? keyof z.input<S> extends never
      ? Record<string, never>
      : z.input<S>
    : never;
export type DescriptorResult<D> = D extends { result: infer S extends z.ZodType } ? z.output<S> : D extends { result: Phantom<infer R> } ? R : never;
export type NotificationPayload<D> = D extends z.ZodType ? z.output<D> : D extends Phantom<infer P> ? P : never;
/** What the daemon sends with a server request, and what the client's answer must be. */
export type ServerRequestParams<D> = D extends { params: infer S extends z.ZodType } ? z.output<S> : never;
export type ServerRequestResult<D> = D extends { result: infer S extends z.ZodType } ? z.output<S> : never;
