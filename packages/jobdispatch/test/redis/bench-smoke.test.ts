import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { OwnRedis, ownRedisTest } from './own-redis.js';
import { redisSuite } from './redis-env.js';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('Redis benchmark', redisSuite(), () => {
  it('runs every contender in smoke mode and prints its table, HIGH waits, memory after completed jobs, ratios and targets', async () => {
    // On a server of its own when one can be started: `used_memory` on the shared server moves with
    // every other suite running against it, which made "bytes per waiting job" negative at times.
    const own = ownRedisTest().skip === undefined ? await OwnRedis.start() : undefined;
    let stdout: string;
    try {
      ({ stdout } = await promisify(execFile)(
        process.execPath,
        ['--conditions=source', '--import', 'tsx', 'bench/redis.bench.ts', '--smoke'],
        {
          cwd: packageDir,
          timeout: 120_000,
          env: { ...process.env, ...(own !== undefined && { REDIS_URL: own.url }) },
        },
      ));
    } finally {
      await own?.stop();
    }
    assert.match(stdout, /^contender +conc +submit\/s +process\/s +total\/s +bytes\/waiting job$/m);
    for (const contender of ['jobdispatch', 'BullMQ', 'Bee-Queue']) {
      for (const concurrency of [10, 50]) {
        const row = new RegExp(`^${contender} +${concurrency}( +[\\d,]+){4}$`, 'm');
        assert.match(stdout, row, `${contender} at ${concurrency}`);
      }
      assert.match(stdout, new RegExp(`^${contender} +waited +[\\d.]+ ms`, 'm'));
    }
    assert.match(stdout, /^ {2}vs BullMQ +total at 10: [\d.]+x, total at 50: [\d.]+x; memory/m);
    for (const contender of ['jobdispatch', 'BullMQ']) {
      assert.match(stdout, new RegExp(`^${contender} +-?[\\d,]+ +[\\d,]+ +[\\d,]+$`, 'm'));
    }
    assert.match(stdout, /^ {2}vs BullMQ +memory after [\d,]+ completed: key bytes [\d.]+x/m);
    assert.match(stdout, /^Targets: total >= 4x BullMQ: (met|MISSED)/m);
    assert.match(stdout, /memory after [\d,]+ completed <= BullMQ's: (met|MISSED)/m);
  });
});
