/**
 * The key layout of one queue in Redis, in one place. Every key of a queue starts with
 * `jd:{<queue>}:`; the braces are a Redis Cluster hash tag, so all of a queue's keys live in one
 * slot and every Lua script can touch them atomically.
 *
 * TypeScript builds keys with `queueKeys()`; the Lua scripts build the per-job and per-type keys
 * with the functions of `luaKeyPrelude()`, rendered from the same suffixes, so the two can never
 * disagree.
 *
 *   jd:{q}:seq           string   INCR counter: queue order (seq) and fencing tokens
 *   jd:{q}:counts        hash     level ("0" low, "1" normal, "2" high) -> jobs queued there
 *   jd:{q}:leases        zset     running job id, scored by lease deadline (Redis server ms)
 *   jd:{q}:delayed       zset     job id waiting to retry, scored by due time (Redis server ms)
 *   jd:{q}:wake          list     wake tokens that idle workers block on (BLPOP)
 *   jd:{q}:events        channel  pub/sub channel of the queue's events (JSON)
 *   jd:{q}:j:<id>        hash     one job record (fields: see record.ts)
 *   jd:{q}:d:<dedupKey>  string   the id of the execution that owns this dedup key
 *   jd:{q}:t:<level>     set      job types with entries in that level's lists
 *   jd:{q}:q:<level>:<type> list  FIFO of "<seq>:<id>" entries of one type at one level
 */
import { invalidArgument } from '../../errors.js';

const SUFFIX = {
  seq: 'seq',
  counts: 'counts',
  leases: 'leases',
  delayed: 'delayed',
  wake: 'wake',
  events: 'events',
  job: 'j:',
  dedup: 'd:',
  types: 't:',
  list: 'q:',
} as const;

export interface QueueKeys {
  /** `jd:{queue}:`: every key of the queue starts with it (SCAN it to find them all). */
  readonly prefix: string;
  readonly seq: string;
  readonly counts: string;
  readonly leases: string;
  readonly delayed: string;
  readonly wake: string;
  /** The pub/sub channel (not a key, but named like one so it is recognisably the queue's). */
  readonly events: string;
  job(id: string): string;
  dedup(key: string): string;
  types(level: number): string;
  list(level: number, jobType: string): string;
  /** The fixed keys every script receives, in the order the script headers name them. */
  readonly scriptKeys: readonly string[];
}

/** Queue names may not contain braces: they would break the hash tag. */
export function queueKeys(queue: string): QueueKeys {
  if (typeof queue !== 'string' || queue === '' || /[{}]/.test(queue)) {
    throw invalidArgument('queue', 'a non-empty string without "{" or "}"', queue);
  }
  const prefix = `jd:{${queue}}:`;
  const seq = prefix + SUFFIX.seq;
  const counts = prefix + SUFFIX.counts;
  const leases = prefix + SUFFIX.leases;
  const delayed = prefix + SUFFIX.delayed;
  const wake = prefix + SUFFIX.wake;
  return {
    prefix,
    seq,
    counts,
    leases,
    delayed,
    wake,
    events: prefix + SUFFIX.events,
    job: (id) => prefix + SUFFIX.job + id,
    dedup: (key) => prefix + SUFFIX.dedup + key,
    types: (level) => prefix + SUFFIX.types + String(level),
    list: (level, jobType) => `${prefix}${SUFFIX.list}${level}:${jobType}`,
    scriptKeys: [seq, counts, leases, delayed, wake],
  };
}

/**
 * Lua that every script starts with: the fixed keys by name, and functions building the dynamic
 * keys from the queue prefix (passed as the first ARGV, see scripts.ts).
 */
export function luaKeyPrelude(): string {
  return [
    'local SEQ, COUNTS, LEASES, DELAYED, WAKE = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]',
    'local PREFIX = ARGV[1]',
    `local CHANNEL = PREFIX .. '${SUFFIX.events}'`,
    `local function jobKey(id) return PREFIX .. '${SUFFIX.job}' .. id end`,
    `local function dedupKey(key) return PREFIX .. '${SUFFIX.dedup}' .. key end`,
    `local function typesKey(level) return PREFIX .. '${SUFFIX.types}' .. level end`,
    `local function listKey(level, jobType) return PREFIX .. '${SUFFIX.list}' .. level .. ':' .. jobType end`,
    '',
  ].join('\n');
}
