export { CarClient, type CallOptions, type ConnectOptions, type PendingCall } from './node.js';
export { Connection, type Transport, type SessionOptions } from './connection.js';
export { discoverToken } from './tokens.js';
