/**
 * RedisBackend behind Redis Sentinel, on servers started for this file: one master, one replica,
 * one sentinel. Two dispatchers share a queue, one given Sentinel options and one a Sentinel-managed
 * `Redis` of the caller's own. Jobs are submitted, the master is killed with SIGKILL while submits
 * are in flight, the sentinel promotes the replica, and both dispatchers carry on. Replication is
 * asynchronous, so a submit acknowledged by the old master just before it died may be missing from
 * the new one, and a claim or finish it had not passed on runs that job again: the test counts
 * both (printed as a diagnostic with the time to the first submit on the new master) and checks
 * that every job submitted before the failover window, or after it, ran exactly once.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { Dispatcher, type Job, RedisBackend } from '../../src/index.js';
import { randomQueue } from './redis-env.js';
import {
  type ServerProcess,
  freePort,
  ownServersSuite,
  startServer,
  stopServer,
  waitFor,
} from './servers.js';

const FINISHED = new Set(['completed', 'failed', 'cancelled', 'duplicated']);

describe('RedisBackend on Redis Sentinel', ownServersSuite(), () => {
  let dir: string;
  let master: ServerProcess;
  let replica: ServerProcess;
  let sentinel: ServerProcess;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jobdispatch-sentinel-'));
    master = await startServer(await freePort(), dir, ['--dbfilename', 'master.rdb']);
    replica = await startServer(await freePort(), dir, [
      '--dbfilename',
      'replica.rdb',
      '--replicaof',
      '127.0.0.1',
      String(master.port),
    ]);
    await waitFor('the replica is in sync', async () => {
      const info = await infoOf(replica.port, 'replication');
      return info.includes('master_link_status:up');
    });
    const port = await freePort();
    const conf = join(dir, 'sentinel.conf');
    await writeFile(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `logfile ${join(dir, 'sentinel.log')}`,
        `sentinel monitor mymaster 127.0.0.1 ${master.port} 1`,
        'sentinel down-after-milliseconds mymaster 1000',
        'sentinel failover-timeout mymaster 10000',
        '',
      ].join('\n'),
    );
    const child = spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' });
    sentinel = { port, child };
    await waitFor('the sentinel knows the replica', async () => {
      const client = new Redis({ port, lazyConnect: true, retryStrategy: () => null });
      client.on('error', () => undefined);
      try {
        await client.connect();
        const replicas = (await client.call('SENTINEL', 'REPLICAS', 'mymaster')) as unknown[];
        return replicas.length === 1;
      } catch {
        return false;
      } finally {
        client.disconnect();
      }
    });
  });
  after(async () => {
    for (const server of [sentinel, replica, master]) if (server) await stopServer(server);
    await rm(dir, { recursive: true, force: true });
  });

  it('carries on after the master is SIGKILLed and the replica promoted', async (t) => {
    const queue = randomQueue('sentinel');
    const errors: unknown[] = [];
    const sentinels = [{ host: '127.0.0.1', port: sentinel.port }];
    // Two dispatchers on the queue: one given Sentinel options, one given a Sentinel-managed
    // Redis of the caller's own (the backend duplicates it; it must follow the failover too).
    const own = new Redis({ sentinels, name: 'mymaster', connectionName: 'caller-own' });
    own.on('error', () => undefined);
    const runs = new Map<string, number>();
    const dispatchers = [{ sentinels, name: 'mymaster' }, own].map((connection) => {
      const backend = new RedisBackend({
        connection,
        queue,
        leaseMs: 2000,
        onError: (error) => errors.push(error),
      });
      const d = new Dispatcher({ workers: 2, backend });
      d.register({
        jobType: 'Echo',
        execute: (job) => {
          runs.set(job.id, (runs.get(job.id) ?? 0) + 1);
          return Promise.resolve(job.params);
        },
      });
      return d;
    });
    const [d, other] = dispatchers as [Dispatcher, Dispatcher];
    await Promise.all(dispatchers.map((x) => x.start()));
    try {
      // Before: every job runs.
      const before = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          dispatchers[i % 2]!.submit({ name: 'Echo', params: `before-${i}` }),
        ),
      );
      await settled(d, before, 30_000);
      for (const job of before) assert.equal((await d.get(job.id))?.status, 'completed');

      // During: submits keep coming, through both dispatchers, while the master dies.
      const acked: Job[] = [];
      let refused = 0;
      let submitting = true;
      let killedAt = 0;
      let firstAckAfterKill = 0;
      // Ten submits at a time (one script call each side), one round after the other, no pause.
      const submitter = (async () => {
        for (let round = 0; submitting; round++) {
          const startedAfterKill = killedAt > 0;
          const outcomes = await Promise.allSettled(
            Array.from({ length: 10 }, (_, i) =>
              dispatchers[i % 2]!.submit({ name: 'Echo', params: `during-${round}-${i}` }),
            ),
          );
          for (const outcome of outcomes) {
            if (outcome.status === 'fulfilled') acked.push(outcome.value);
            else refused++;
          }
          // A round sent after the kill can only be answered by the new master.
          const answered = outcomes.some((o) => o.status === 'fulfilled');
          if (startedAfterKill && firstAckAfterKill === 0 && answered) {
            firstAckAfterKill = Date.now();
          }
        }
      })();
      await waitFor('some submits were acknowledged', () => Promise.resolve(acked.length >= 200));
      const ackedBeforeKill = acked.length;
      killedAt = Date.now();
      await stopServer(master, 'SIGKILL');
      await waitFor(
        'the sentinel promoted the replica',
        async () => (await infoOf(replica.port, 'replication')).includes('role:master'),
        30_000,
      );
      await waitFor(
        'a submit is acknowledged by the new master',
        () => Promise.resolve(acked.length > ackedBeforeKill + 50),
        30_000,
      );
      submitting = false;
      await submitter;

      // After: every job runs.
      const afterJobs = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          dispatchers[i % 2]!.submit({ name: 'Echo', params: `after-${i}` }),
        ),
      );
      await settled(d, afterJobs, 30_000);
      for (const job of afterJobs) assert.equal((await other.get(job.id))?.status, 'completed');

      // The failover window: acknowledged submits the new master has no record of were lost.
      await settled(d, acked, 30_000, true);
      let lost = 0;
      for (const job of acked) {
        const record = await d.get(job.id);
        if (record === undefined) lost++;
        else assert.equal(record.status, 'completed', `${job.id} ran after the failover`);
      }
      // A claim or a finish the replica had not received runs the job again (at least once).
      const ranTwice = [...runs.values()].filter((n) => n > 1).length;
      t.diagnostic(
        `failover: ${acked.length} submits acknowledged around the kill (${ackedBeforeKill} before it), ` +
          `${refused} refused while no master answered, ${lost} acknowledged but lost, ` +
          `${ranTwice} jobs ran twice; the first submit sent after the kill acknowledged ${firstAckAfterKill - killedAt} ms after it`,
      );
      assert.ok(lost <= ackedBeforeKill, 'only submits acknowledged before the kill can be lost');
      for (const job of [...before, ...afterJobs]) assert.equal(runs.get(job.id), 1, job.id);
      for (const job of before) assert.equal((await d.get(job.id))?.status, 'completed');
    } finally {
      await Promise.all(dispatchers.map((x) => x.stop({ timeoutMs: 3000 })));
    }
    // The caller's client was left open (an idle one may still be reconnecting: its own retry
    // strategy), and follows the new master.
    try {
      assert.notEqual(own.status, 'end');
      assert.equal(await own.ping(), 'PONG');
      assert.match(await own.info('replication'), /role:master/);
      assert.equal(/tcp_port:(\d+)/.exec(await own.info('server'))?.[1], String(replica.port));
    } finally {
      own.disconnect();
    }
  });
});

/** Waits until every job has a finished record (or none at all, when `missingIsDone`). */
async function settled(
  d: Dispatcher,
  jobs: readonly Job[],
  ms: number,
  missingIsDone = false,
): Promise<void> {
  await waitFor(
    `${jobs.length} jobs finished`,
    async () => {
      for (const job of jobs) {
        const record = await d.get(job.id).catch(() => undefined);
        if (record === undefined ? !missingIsDone : !FINISHED.has(record.status)) return false;
      }
      return true;
    },
    ms,
  );
}

async function infoOf(port: number, section: string): Promise<string> {
  const client = new Redis({ port, lazyConnect: true, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await client.info(section);
  } catch {
    return '';
  } finally {
    client.disconnect();
  }
}
