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
  it('runs every contender in smoke mode and prints its table, HIGH waits, memory after completed jobs, ratios and the targets with met or missed', async () => {
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
    assert.match(
      stdout,
      /^contender +conc +submit\/s +process\/s +total\/s +bytes\/waiting job +CPU us\/job$/m,
    );
    for (const contender of ['jobdispatch', 'BullMQ', 'Bee-Queue']) {
      for (const concurrency of [10, 50]) {
        const row = new RegExp(`^${contender} +${concurrency}( +[\\d,]+){4} +[\\d.]+$`, 'm');
        assert.match(stdout, row, `${contender} at ${concurrency}`);
      }
      assert.match(stdout, new RegExp(`^${contender} +waited +[\\d.]+ ms`, 'm'));
    }
    assert.match(stdout, /^ {2}vs BullMQ +total at 10: [\d.]+x, total at 50: [\d.]+x; memory/m);
    for (const contender of ['jobdispatch', 'BullMQ']) {
      assert.match(stdout, new RegExp(`^${contender} +-?[\\d,]+ +[\\d,]+ +[\\d,]+$`, 'm'));
    }
    assert.match(stdout, /^ {2}vs BullMQ +memory after [\d,]+ completed: key bytes [\d.]+x/m);
    assert.match(stdout, /^Targets \(issue 12\):$/m);
    const target = (row: string): RegExp => new RegExp(`^ {2}Redis: ${row}.* (met|MISSED)$`, 'm');
    assert.match(
      stdout,
      target('submit \\+ process, total jobs/s vs BullMQ \\(conc 50\\) +[\\d.]+x +>= 4x'),
    );
    assert.match(
      stdout,
      target('memory per waiting job vs BullMQ \\(200-byte payload\\) +[\\d.]+x +<= 0.45x'),
    );
    assert.match(
      stdout,
      target(
        'HIGH job behind [\\d,]+ waiting LOW jobs +[\\d.]+-[\\d.]+ ms \\(\\d+ runs?\\) +<= 2 ms in every run',
      ),
    );
    assert.match(
      stdout,
      target('memory after [\\d,]+ completed vs BullMQ \\(key bytes\\) +[\\d.]+x +<= 1x'),
    );
    assert.match(
      stdout,
      /^ {2}Redis: CPU per job, Node side \(conc 50; BullMQ [\d.]+ us\) +[\d.]+ us +\(reported\)$/m,
    );
  });
});
