export { CarClient, type CallOptions, type ConnectOptions } from './client.js';
export { discoverToken } from './tokens.js';
