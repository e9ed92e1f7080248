/**
 * `npm start`: the planning service. Reads its configuration from the environment (see config.ts
 * and the README), starts the workers and the HTTP server, and prints where it listens.
 */
import { loadConfig } from './config.js';
import { runProcess } from './process.js';

await runProcess(() => loadConfig(), 'planner');
