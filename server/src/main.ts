import { ConfigError, loadConfig } from './config/load-config';

/** The only place that builds real clients from the environment (via node-main.ts). */
function readConfig() {
  try {
    return loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
}

const config = readConfig();
// Tracing patches modules as they are loaded, so it starts before the server's modules are
// imported; when it is off, none of OpenTelemetry is loaded at all.
const stopTracing = config.tracing.enabled
  ? await (await import('./observability/tracing')).startTracing(config)
  : undefined;
const { runNode } = await import('./node-main');
await runNode(config, stopTracing);
