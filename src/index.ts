/** The embedder's entry point: the server state, the server, the client and the protocol types. */
export { ServerState, type ServerStateConfig } from './daemon/state/server-state.js';
export { serve, type RunningServer, type ServeOptions } from './daemon/server/ws-server.js';
export { AuthPolicy } from './daemon/auth/tokens.js';
export type { Memgine, Fact, NewFact, ScoredFact, FactKind } from './daemon/memgine/memgine.js';
export { MemoryStore } from './daemon/memgine/memory-store.js';
export { InferenceEngine, type InferenceEngineOptions } from './daemon/inference/engine.js';
export type { MethodSpec, MethodTable, CallContext } from './daemon/rpc/method-table.js';
export { log } from './daemon/log.js';
export { replayJournal, type ReplayState } from './daemon/journal/replay.js';
export { CarClient, type ConnectOptions, type CallOptions } from './client/index.js';
export * from './protocol/index.js';
export { CarError, ConfigError, DaemonUnreachableError } from './errors.js';
