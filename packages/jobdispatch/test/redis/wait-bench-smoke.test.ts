/**
 * The WAIT benchmark (bench/redis-wait.bench.ts) in smoke mode: it starts its own master and
 * replica, and prints a row per case and what WAIT costs in each.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ownRedisTest } from './own-redis.js';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('WAIT benchmark', ownRedisTest(), () => {
  it('runs in smoke mode on a master and replica of its own and prints the cost of WAIT per case', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', 'bench/redis-wait.bench.ts', '--smoke'],
      { cwd: packageDir, timeout: 120_000 },
    );
    for (const jobs of [1, 100]) {
      for (const inFlight of [1, 8]) {
        for (const wait of ['no', 'yes']) {
          const row = new RegExp(
            `│ ${jobs} +│ ${inFlight} +│ '${wait}' +│ \\d+ +│ \\d+ +│ \\d+ +│`,
          );
          assert.match(stdout, row, `${jobs} job(s)/call, ${inFlight} in flight, WAIT ${wait}`);
        }
        const cost = new RegExp(
          `^${jobs} job\\(s\\)/call, ${inFlight} in flight: WAIT costs -?\\d+ µs more a call on average, throughput x[\\d.]+$`,
          'm',
        );
        assert.match(stdout, cost);
      }
    }
  });
});
