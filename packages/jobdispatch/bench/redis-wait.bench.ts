/**
 * What `WAIT 1` after each write script would cost (the backend does not offer it: see the README's
 * "Redis Cluster and Sentinel"). On a master and a replica started for the run on loopback ports,
 * one connection sends a write script shaped like a submit (per job: a record hash with a 200-byte
 * payload, a list entry and an event appended to a stream), with and without `WAIT 1 1000` after
 * each call, the way an option would send it: on the same connection, so what follows waits too.
 *
 *   npm run bench:redis-wait              the full run (about a minute)
 *   npm run bench:redis-wait -- --smoke   tiny counts; a test runs it so it cannot rot
 *
 * Rows: jobs per script call (1: a claim, a renewal, a progress update or a lone submit; 100: a
 * batched submit or finish), calls in flight on the connection (1: one caller waiting for each
 * answer; 8: a busy process), then script calls per second and the latency of a call (mean, p99).
 * Loopback figures: the replica is a few microseconds away. On a network, each WAIT adds at least
 * one round trip to the replica.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, startServer, stopServer, waitFor } from '../test/redis/servers.js';

const smoke = process.argv.includes('--smoke');
/** Script calls per row, by jobs per call. */
const CALLS: Readonly<Record<number, number>> = smoke ? { 1: 100, 100: 10 } : { 1: 3000, 100: 300 };
const PAYLOAD = 'x'.repeat(200);

const SCRIPT = `
local n = tonumber(ARGV[1])
for i = 1, n do
  local seq = redis.call('INCR', KEYS[1])
  local id = ARGV[2] .. seq
  redis.call('HSET', KEYS[3] .. id, 'name', 'Echo', 'status', 'queued', 'priority', '1',
    'seq', seq, 'createdAt', ARGV[3], 'params', ARGV[4])
  redis.call('RPUSH', KEYS[2], seq .. ':' .. id)
  redis.call('XADD', KEYS[4], 'MAXLEN', '~', 10000, '*', 't', 'submitted', 'j', id)
end
return n
`;

interface Row {
  readonly jobsPerCall: number;
  readonly inFlight: number;
  readonly wait: boolean;
  readonly callsPerS: number;
  readonly meanUs: number;
  readonly p99Us: number;
}

async function measure(
  client: Redis,
  sha: string,
  jobsPerCall: number,
  inFlight: number,
  wait: boolean,
  prefix: string,
): Promise<Row> {
  const keys = [`${prefix}seq`, `${prefix}q`, `${prefix}j:`, `${prefix}events`];
  const latencies: number[] = [];
  const calls = CALLS[jobsPerCall]!;
  let sent = 0;
  const call = async (): Promise<void> => {
    const began = process.hrtime.bigint();
    if (wait) {
      const pipeline = client.pipeline();
      pipeline.evalsha(sha, keys.length, ...keys, jobsPerCall, 'id-', Date.now(), PAYLOAD);
      pipeline.call('WAIT', 1, 1000);
      const results = (await pipeline.exec()) ?? [];
      for (const [error] of results) if (error) throw error;
      if (results[1]?.[1] !== 1) throw new Error(`WAIT answered ${String(results[1]?.[1])}`);
    } else {
      await client.evalsha(sha, keys.length, ...keys, jobsPerCall, 'id-', Date.now(), PAYLOAD);
    }
    latencies.push(Number(process.hrtime.bigint() - began) / 1000);
  };
  const lane = async (): Promise<void> => {
    while (sent < calls) {
      sent++;
      await call();
    }
  };
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: inFlight }, lane));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort((a, b) => a - b);
  const mean = latencies.reduce((sum, x) => sum + x, 0) / latencies.length;
  return {
    jobsPerCall,
    inFlight,
    wait,
    callsPerS: calls / seconds,
    meanUs: mean,
    p99Us: latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))]!,
  };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'jobdispatch-wait-bench-'));
  const master = await startServer(await freePort(), dir, ['--dbfilename', 'master.rdb']);
  const replica = await startServer(await freePort(), dir, [
    '--dbfilename',
    'replica.rdb',
    '--replicaof',
    '127.0.0.1',
    String(master.port),
  ]);
  const client = new Redis({ port: master.port, host: '127.0.0.1' });
  try {
    await waitFor('the replica is in sync', async () => {
      const info = await client.info('replication');
      return /connected_slaves:1/.test(info) && /state=online/.test(info);
    });
    const sha = (await client.script('LOAD', SCRIPT)) as string;
    const rows: Row[] = [];
    let run = 0;
    for (const jobsPerCall of [1, 100]) {
      for (const inFlight of [1, 8]) {
        for (const wait of [false, true]) {
          rows.push(await measure(client, sha, jobsPerCall, inFlight, wait, `b${run++}:`));
          await client.flushall(); // this run's own servers
        }
      }
    }
    console.log(
      `WAIT 1 after each write script, ${CALLS[1]} calls per row of 1 job/call and ${CALLS[100]} of 100 (loopback master + replica)`,
    );
    console.table(
      rows.map((row) => ({
        'jobs/call': row.jobsPerCall,
        'in flight': row.inFlight,
        WAIT: row.wait ? 'yes' : 'no',
        'calls/s': Math.round(row.callsPerS),
        'mean µs': Math.round(row.meanUs),
        'p99 µs': Math.round(row.p99Us),
      })),
    );
    for (let i = 0; i < rows.length; i += 2) {
      const [without, withWait] = [rows[i]!, rows[i + 1]!];
      console.log(
        `${without.jobsPerCall} job(s)/call, ${without.inFlight} in flight: WAIT costs ` +
          `${Math.round(withWait.meanUs - without.meanUs)} µs more a call on average, ` +
          `throughput x${(withWait.callsPerS / without.callsPerS).toFixed(2)}`,
      );
    }
  } finally {
    client.disconnect();
    await stopServer(replica);
    await stopServer(master);
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
