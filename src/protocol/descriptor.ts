import type { z } from 'zod';

/**
 * The declaration kit of the contract (one descriptor per method and per notification,
 * after vscode-jsonrpc's `RequestType<P, R, E>`): the daemon's method tables and the
 * client's typed `call` / `on` are both derived from these descriptors.
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
  readonly result: Phantom<R>;
  /** What a client passes; the schema's input unless the descriptor narrows it with `accepts`. */
  readonly clientParams?: Phantom<P>;
}

export type NotificationDescriptor<P = unknown> = Phantom<P>;

/** A daemon → client request (§2.3): the params the daemon sends and the result the client answers with. */
export interface ServerRequestDescriptor<P = unknown, R = unknown> {
  readonly params: Phantom<P>;
  readonly result: Phantom<R>;
}

/** The result type of a method: `result: returns<AddFactResult>()`. */
export const returns = <R>(): Phantom<R> => PHANTOM;
/** Narrows what clients may pass below what the schema tolerates (the schema stays lenient to word its own errors). */
export const accepts = <P>(): Phantom<P> => PHANTOM;
/** The params of a notification: `'voice.event': carries<VoiceEventParams>()`. */
export const carries = <P>(): NotificationDescriptor<P> => PHANTOM;
/** A server → client request: `'tools.execute': asks<ToolExecuteParams, unknown>()`. */
export const asks = <P, R>(): ServerRequestDescriptor<P, R> => ({ params: PHANTOM, result: PHANTOM });

export type MethodDescriptors = Record<string, MethodDescriptor<any, any, any>>;
export type NotificationDescriptors = Record<string, NotificationDescriptor<any>>;
export type ServerRequestDescriptors = Record<string, ServerRequestDescriptor<any, any>>;

/** Declares a namespace's methods, each name written once as its key. */
export const defineMethods = <const D extends MethodDescriptors>(methods: D): D => methods;
export const defineNotifications = <const D extends NotificationDescriptors>(notifications: D): D => notifications;
export const defineServerRequests = <const D extends ServerRequestDescriptors>(requests: D): D => requests;

/** What a client passes: `accepts<P>()` when given, else the schema's input (`{}` read as "no params"). */
export type DescriptorParams<D> = D extends { clientParams: Phantom<infer P> }
  ? P
  : D extends { params: infer S extends z.ZodType }
    ? keyof z.input<S> extends never
      ? Record<string, never>
      : z.input<S>
    : never;
export type DescriptorResult<D> = D extends { result: Phantom<infer R> } ? R : never;
export type NotificationPayload<D> = D extends Phantom<infer P> ? P : never;
export type ServerRequestParams<D> = D extends { params: Phantom<infer P> } ? P : never;
export type ServerRequestResult<D> = D extends { result: Phantom<infer R> } ? R : never;
