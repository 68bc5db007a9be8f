import type { Contract, Notifications, ServerRequests } from './contract.js';
import type { DescriptorParams, DescriptorResult, NotificationPayload, ServerRequestParams, ServerRequestResult } from './descriptor.js';

/** Each method's client params and result, derived from the descriptors of contract.ts. */
type ContractMethodMap = { [M in keyof Contract]: { params: DescriptorParams<Contract[M]>; result: DescriptorResult<Contract[M]> } };
type ContractNotificationMap = { [N in keyof Notifications]: NotificationPayload<Notifications[N]> };

// Interfaces (not aliases) so that code still declaring methods the old way (`declare module` augmentation) keeps compiling until converted.
export interface MethodMap extends ContractMethodMap {}
export interface NotificationMap extends ContractNotificationMap {}

export type MethodName = Extract<keyof MethodMap, string>;
export type ParamsOf<M extends MethodName> = MethodMap[M] extends { params: infer P } ? P : never;
export type ResultOf<M extends MethodName> = MethodMap[M] extends { result: infer R } ? R : never;
export type NotificationName = Extract<keyof NotificationMap, string>;
export type NotificationParamsOf<N extends NotificationName> = NotificationMap[N];

export type ServerRequestName = Extract<keyof ServerRequests, string>;
export type ServerRequestParamsOf<M extends ServerRequestName> = ServerRequestParams<ServerRequests[M]>;
export type ServerRequestResultOf<M extends ServerRequestName> = ServerRequestResult<ServerRequests[M]>;

export const PROTOCOL_VERSION = 2;
