/**
 * Runs the service as a process: validated configuration (a bad value stops the start with its
 * message and exit code 1), a start-up banner, and a graceful stop on SIGINT or SIGTERM.
 */
import { type Config, ConfigError } from './config.js';
import { startService } from './service.js';

export async function runProcess(
  configure: () => Config,
  role: 'planner' | 'worker',
): Promise<void> {
  let config: Config;
  try {
    config = configure();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`configuration error: ${error.message}`);
    process.exitCode = 1;
    return;
  }
  let service;
  try {
    service = await startService(config);
  } catch (error) {
    console.error(
      `the ${role} could not start: ${error instanceof Error ? error.message : String(error)}`,
    );
    process.exitCode = 1;
    return;
  }
  const backend =
    config.redisUrl === undefined ? 'in-memory backend' : `Redis backend, queue "${config.queue}"`;
  const { source: data } = service.domain.catalog;
  const source =
    data.kind === 'sample'
      ? 'sample places'
      : data.kind === 'file'
        ? `places from ${config.placesFile}`
        : `live places from ${data.name} (at most ${config.places.maxConcurrent} calls at once, ${config.places.perSecond} a second, cached ${Math.round((config.places.cacheTtlMs ?? 0) / 3_600_000)} h)`;
  if (service.url !== undefined)
    console.log(
      `planner listening on ${service.url} (try ${service.url}/v1/planning?location=San%20Jose,%20CA,%20USA&date=${tomorrow()}&price=2)`,
    );
  console.log(`${role}: ${config.workers} workers, ${backend}, ${source}`);
  if (config.adminTokenGenerated && config.http) {
    console.log(`admin token (generated; set ADMIN_TOKEN to choose one): ${config.adminToken}`);
  }
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping (running jobs get up to 10 s)`);
    service.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

function tomorrow(): string {
  return new Date(Date.now() + 24 * 60 * 60 * 1000).toISOString().slice(0, 10);
}
