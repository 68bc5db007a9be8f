import { join } from 'node:path';
import { CarClient, type ConnectOptions } from '../../src/client/node.js';
import { AuthPolicy } from '../../src/daemon/auth/tokens.js';
import { readEnvironment } from '../../src/config/environment.js';
import { log } from '../../src/daemon/log.js';
import { serve, type ServeOptions } from '../../src/daemon/server/ws-server.js';
import { ServerState, type ServerStateConfig } from '../../src/daemon/state/server-state.js';
import { tempStateRoot } from './paths.js';

export interface InProcessDaemon {
  state: ServerState;
  url: string;
  stateRoot: string;
  token: string;
  hostToken: string;
  connect(options?: Omit<ConnectOptions, 'url'>): Promise<CarClient>;
  close(): Promise<void>;
}

log.configure({ level: (readEnvironment().logLevel as 'debug' | undefined) ?? 'error' });

/** A `ServerState` served on a free port inside the test process. */
export async function startInProcess(config: Partial<ServerStateConfig> = {}, serveOptions: ServeOptions = {}): Promise<InProcessDaemon> {
  const stateRoot = config.stateRoot ?? tempStateRoot();
  const auth = config.auth ?? AuthPolicy.minted();
  const state = ServerState.withConfig({ journalDir: join(stateRoot, 'journals'), stateRoot, auth, ...config });
  const server = await serve(state, { port: 0, ...serveOptions });
  await state.start();
  const { token, hostToken } = auth.revealTokens();
  return {
    state,
    url: server.url,
    stateRoot,
    token: token ?? '',
    hostToken: hostToken ?? '',
    connect: (options = {}) => CarClient.connect({ url: server.url, token: options.asHost ? hostToken : auth.enabled ? token : null, ...options }),
    async close() {
      await server.stopAccepting();
      await state.close('test_done');
    },
  };
}
