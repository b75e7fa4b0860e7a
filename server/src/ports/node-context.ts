import type { Engine } from '../cluster/engine';
import type { Config } from '../config/load-config';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { Stores } from '../storage/types';
import type { Fanout } from './fanout';

/** What `createApp` is given: configuration and the clients built by main.ts (or a test). */
export interface AppDeps {
  config: Config;
  logger: Logger;
  stores: Stores;
  engine: Engine;
}

/** What every capability of a running node may use: the app's deps plus its live parts. */
export interface NodeContext extends AppDeps {
  metrics: Metrics;
  fanout: Fanout;
}
