/**
 * `npm run worker`: a process that only runs jobs (no HTTP), for a service of several processes
 * on one Redis: any number of these next to any number of API processes (`WORKERS=0 npm start`).
 */
import { ConfigError, loadConfig } from './config.js';
import { runProcess } from './process.js';

await runProcess(() => {
  const config = loadConfig(process.env, { http: false });
  if (config.redisUrl === undefined) {
    throw new ConfigError(
      'REDIS_URL must be set for a worker process, got nothing: without Redis no other process can give it jobs',
    );
  }
  if (config.workers === 0)
    throw new ConfigError('WORKERS must be at least 1 for a worker process, got 0');
  return config;
}, 'worker');
