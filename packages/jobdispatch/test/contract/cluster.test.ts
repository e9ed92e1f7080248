/**
 * RedisBackend on a Redis Cluster of three masters started for this file (test/redis/servers.ts):
 * the backend contract suite and the dispatcher contract suite run on it with a caller's
 * `Cluster` client as `connection`, every queue on the slot of its hash tag, and two queues on
 * slots served by different masters run jobs at the same time.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Cluster } from 'ioredis';
import { Dispatcher, RedisBackend } from '../../src/index.js';
import { randomQueue, redisSuite } from '../redis/redis-env.js';
import { type LocalCluster, startCluster } from '../redis/servers.js';
import { runBackendContract } from './backend/index.js';
import { runDispatcherContract } from './dispatcher-contract.js';

const queues = new Set<string>();
let cluster: LocalCluster;
let client: Cluster;

function queue(label: string): string {
  const name = randomQueue(label);
  queues.add(name);
  return name;
}

/** Deletes every key of the queues on each master (a queue's keys are all on one). */
async function deleteQueues(): Promise<void> {
  for (const node of client.nodes('master')) {
    for (const name of queues) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', `jd:{${name}}:*`, 'COUNT', 1000);
        cursor = next;
        for (const key of keys) await node.del(key);
      } while (cursor !== '0');
    }
  }
}

/** The port of the master serving `key`'s slot. */
async function masterOf(key: string): Promise<number> {
  const slot = Number(await client.cluster('KEYSLOT', key));
  const ranges = await client.cluster('SLOTS');
  const range = ranges.find(([from, to]) => slot >= from && slot <= to);
  const master = range?.[2];
  assert.ok(master, `slot ${slot} is served`);
  return master[1];
}

describe('RedisBackend on Redis Cluster', redisSuite(), () => {
  before(async () => {
    cluster = await startCluster();
    client = cluster.client();
    await client.ping();
  });
  after(async () => {
    if (client !== undefined) {
      await deleteQueues();
      client.disconnect();
    }
    await cluster?.stop();
  });

  runBackendContract({
    name: 'RedisBackend on Redis Cluster',
    make: (options) =>
      Promise.resolve(new RedisBackend({ connection: client, queue: queue('cb'), ...options })),
  });

  runDispatcherContract('RedisBackend on Redis Cluster', (options) => {
    return new RedisBackend({ connection: client, queue: queue('cd'), ...options });
  });

  it('runs two queues on slots of different masters at once, each queue on its own slot', async () => {
    const first = queue('slot-a');
    let second = queue('slot-b');
    const firstMaster = await masterOf(`jd:{${first}}:seq`);
    while ((await masterOf(`jd:{${second}}:seq`)) === firstMaster) {
      queues.delete(second);
      second = queue('slot-b');
    }
    const dispatchers = [first, second].map((name) => {
      const d = new Dispatcher({
        workers: 2,
        backend: new RedisBackend({ connection: client, queue: name }),
      });
      d.register({
        jobType: 'Square',
        execute: (job) => Promise.resolve(`${name}:${(job.params as number) ** 2}`),
      });
      return d;
    });
    try {
      await Promise.all(dispatchers.map((d) => d.start()));
      const results = await Promise.all(
        dispatchers.map(async (d) => {
          const jobs = await Promise.all(
            Array.from({ length: 20 }, (_, i) => d.submit({ name: 'Square', params: i })),
          );
          return Promise.all(jobs.map((job) => d.wait(job.id)));
        }),
      );
      assert.deepEqual(results, [
        Array.from({ length: 20 }, (_, i) => `${first}:${i * i}`),
        Array.from({ length: 20 }, (_, i) => `${second}:${i * i}`),
      ]);
      // Every key of each queue is on the master serving its hash tag's slot, and nowhere else.
      for (const name of [first, second]) {
        const home = await masterOf(`jd:{${name}}:seq`);
        for (const node of client.nodes('master')) {
          const [, keys] = await node.scan('0', 'MATCH', `jd:{${name}}:*`, 'COUNT', 10_000);
          if (node.options.port === home) assert.ok(keys.length > 0, `${name} has keys on ${home}`);
          else assert.deepEqual(keys, [], `${name} has no key on ${node.options.port}`);
        }
      }
    } finally {
      await Promise.all(dispatchers.map((d) => d.stop({ timeoutMs: 2000 })));
    }
  });
});
