/**
 * The typed method map shared by client and daemon. Each namespace file augments
 * `MethodMap` with its own entries, so adding a capability never edits this file.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface MethodMap {}

/** Server → client notifications, augmented the same way. */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface NotificationMap {}

export type MethodName = keyof MethodMap & string;
export type ParamsOf<M extends MethodName> = MethodMap[M] extends { params: infer P } ? P : never;
export type ResultOf<M extends MethodName> = MethodMap[M] extends { result: infer R } ? R : never;
export type NotificationName = keyof NotificationMap & string;
export type NotificationParamsOf<N extends NotificationName> = NotificationMap[N];

export const PROTOCOL_VERSION = 2;
