/**
 * RedisBackend on a Redis Cluster of three masters started for this file (test/redis/servers.ts):
 * the backend contract suite and the dispatcher contract suite run on it with a caller's
 * `Cluster` client as `connection`, every queue on the slot of its hash tag. While they run, a
 * neighbour queue on another master runs jobs all along (two queues on slots of different masters
 * at once), and a test runs two queues on different masters side by side. The scripts run with
 * the flags that make Redis check the slot of every key they touch, so a key built without the
 * queue's hash tag fails the suites whichever node its slot is on (see scripts.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Cluster } from 'ioredis';
import { Dispatcher, RedisBackend } from '../../src/index.js';
import { SCRIPT_SHEBANG } from '../../src/backends/redis/scripts.js';
import { randomQueue } from '../redis/redis-env.js';
import { type LocalCluster, ownServersSuite, startCluster } from '../redis/servers.js';
import { runBackendContract } from './backend/index.js';
import { runDispatcherContract } from './dispatcher-contract.js';

const queues = new Set<string>();
let cluster: LocalCluster;
let client: Cluster;
/** Queue names whose slots are not on the neighbour's master, for the contract suites. */
const contractQueues: string[] = [];

function queue(label: string): string {
  const name = randomQueue(label);
  queues.add(name);
  return name;
}

function contractQueue(): string {
  const name = contractQueues.pop();
  assert.ok(name !== undefined, 'enough contract queue names were prepared');
  return name;
}

/** The neighbour: a dispatcher on its own queue, submitting and running jobs until stopped. */
function startNeighbour(name: string): { stop: () => Promise<{ ran: number; lost: string[] }> } {
  const d = new Dispatcher({
    workers: 2,
    backend: new RedisBackend({ connection: client, queue: name }),
  });
  d.register({ jobType: 'Tick', execute: (job) => Promise.resolve(job.params) });
  const ids: string[] = [];
  let running = true;
  const loop = (async () => {
    await d.start();
    for (let i = 0; running; i++) {
      ids.push((await d.submit({ name: 'Tick', params: i })).id);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  const stop = async (): Promise<{ ran: number; lost: string[] }> => {
    running = false;
    await loop;
    const results = await Promise.all(ids.map((id) => d.wait(id)));
    await d.stop({ timeoutMs: 2000 });
    // A job ran, and ran once with its own params, when its result is its index.
    return { ran: ids.length, lost: ids.filter((_, i) => results[i] !== i) };
  };
  let stopped: Promise<{ ran: number; lost: string[] }> | undefined;
  return { stop: () => (stopped ??= stop()) };
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

describe('RedisBackend on Redis Cluster', ownServersSuite(), () => {
  let neighbour: ReturnType<typeof startNeighbour>;
  let neighbourQueue: string;

  before(async () => {
    cluster = await startCluster();
    client = cluster.client();
    await client.ping();
    neighbourQueue = queue('neighbour');
    const away = await masterOf(`jd:{${neighbourQueue}}:seq`);
    while (contractQueues.length < 400) {
      const name = randomQueue('contract');
      if ((await masterOf(`jd:{${name}}:seq`)) === away) continue;
      queues.add(name);
      contractQueues.push(name);
    }
    neighbour = startNeighbour(neighbourQueue);
  });
  after(async () => {
    await neighbour?.stop(); // when the test that stops it did not run
    if (client !== undefined) {
      await deleteQueues();
      client.disconnect();
    }
    await cluster?.stop();
  });

  runBackendContract({
    name: 'RedisBackend on Redis Cluster',
    make: (options) =>
      Promise.resolve(new RedisBackend({ connection: client, queue: contractQueue(), ...options })),
  });

  runDispatcherContract('RedisBackend on Redis Cluster', (options) => {
    return new RedisBackend({ connection: client, queue: contractQueue(), ...options });
  });

  it('ran the neighbour queue on another master all through the contract suites', async (t) => {
    const { ran, lost } = await neighbour.stop();
    t.diagnostic(`the neighbour queue ran ${ran} jobs while the contract suites ran`);
    assert.ok(ran > 10, `the neighbour submitted ${ran} jobs while the suites ran`);
    assert.deepEqual(lost, []);
  });

  it("left the caller's Cluster client open through every backend's close()", async () => {
    assert.equal(client.status, 'ready');
    assert.equal(await client.set(`jd:{${neighbourQueue}}:probe`, '1'), 'OK');
  });

  it("refuses a script of the backend's kind that touches a key outside its declared keys' slot", async () => {
    const declared = `jd:{${neighbourQueue}}:seq`;
    // A key of another slot on the same master, and one on another master: both refused.
    const home = await masterOf(declared);
    let sameNode: string | undefined;
    let otherNode: string | undefined;
    for (let i = 0; sameNode === undefined || otherNode === undefined; i++) {
      const key = `jd:other-${i}`;
      if ((await masterOf(key)) === home) sameNode ??= key;
      else otherNode ??= key;
    }
    for (const key of [sameNode, otherNode]) {
      await assert.rejects(
        client.eval(`${SCRIPT_SHEBANG}\nreturn redis.call('EXISTS', ARGV[1])`, 1, declared, key),
        /do not hash to the same slot|non local key/,
        key,
      );
    }
    // Without the shebang (Redis's compatibility mode) the same-node key would pass unnoticed.
    assert.equal(
      await client.eval(`return redis.call('EXISTS', ARGV[1])`, 1, declared, sameNode),
      0,
    );
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
