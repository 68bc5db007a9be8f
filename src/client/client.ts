/** The Node client under its first path, which existing callers and parallel branches import. */
export { CarClient, type CallOptions, type ConnectOptions, type PendingCall } from './node.js';
