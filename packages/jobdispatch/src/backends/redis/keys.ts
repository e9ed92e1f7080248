/**
 * The key layout of one queue in Redis, in one place. It is stored data: changing it needs a
 * migration, so read this before touching it.
 *
 * Every key of a queue starts with `jd:{<queue>}:`; the braces are a Redis Cluster hash tag, so all
 * of a queue's keys live in one slot and every Lua script can touch them atomically. The fixed keys
 * are passed to every script in KEYS (in the order of `scriptKeys`); the per-job and per-type keys
 * are built inside the scripts from the same prefix (they cannot be known before the script reads
 * the indexes) and share the hash tag, so they always live in the declared keys' slot.
 *
 * TypeScript builds keys with `queueKeys()`; the Lua scripts build the per-job and per-type keys
 * with the functions of `luaKeyPrelude()`, rendered from the same suffixes, so the two never
 * disagree.
 *
 * Fixed keys (KEYS[1..9]):
 *   jd:{q}:seq       string  INCR counter: queue order (a queued entry's score) and fencing tokens
 *   jd:{q}:counts    hash    "0" | "1" | "2" -> jobs queued at that level (capacity, stats);
 *                            "type:<name>" -> jobs of that type queued (all levels);
 *                            "done:<status>" -> finished records of that status (all types);
 *                            "corrupt" -> entries moved aside since the queue began
 *   jd:{q}:leases    zset    running job id -> lease deadline (Redis server ms)
 *   jd:{q}:due       zset    scheduled job id -> due time (ms, the backend's clock): every
 *                            scheduled job, retries waiting for their backoff included
 *   jd:{q}:wake      list    wake tokens that idle workers block on (BLPOP)
 *   jd:{q}:types     set     every job type that has had a record (for listing and counts)
 *   jd:{q}:pause     hash    "queue" -> "1" when the queue is paused; "type:<name>" -> "1" per
 *                            paused type (the claim script reads it)
 *   jd:{q}:corrupt   list    JSON notes {at, key, reason, movedTo?} of what a script could not
 *                            read and moved aside (newest first, the last 1000 kept)
 *   jd:{q}:events    stream  the queue's event log: one entry per event, always the fields t
 *                            (type), j (jobId), n (name), p (priority), a (at) and x (the other
 *                            fields as the inside of a JSON object, '' when none), in that order:
 *                            the same fields in every entry let Redis store only the values (about
 *                            96 bytes an entry against 181 for one JSON field, measured with
 *                            MEMORY USAGE on 10,000 with UUID job ids). The entry id is the
 *                            event's `id`.
 *                            Written only by lib.lua's done() (and `publish` for `stuck`), with
 *                            ids `0-*`: Redis gives each entry the next sequence number, so ids
 *                            are contiguous (0-1, 0-2, ...) and a reader knows exactly whether
 *                            entries after its position were trimmed (a gap) from the first entry
 *                            it gets back. (Needs Redis 7.0 for `0-*`.) Trimmed by approximate
 *                            MAXLEN to `events.maxCount` (whole nodes: up to ~100 more kept).
 *                            Chosen over pub/sub because a reader resumes after the last id it
 *                            saw (XREAD BLOCK), across reconnects, and `events({ after })` and
 *                            `watch()` replay from it; a read filtered by job compares `j` and
 *                            decodes no other job's entries.
 *
 * Per job, per type, per status (built in the scripts):
 *   jd:{q}:j:<id>             hash  one job record (fields: see record.ts), params apart
 *   jd:{q}:p:<id>             string the params JSON of job <id>, when it has params: written
 *                                    with the record at submit, never changed, deleted with it.
 *                                    Kept apart so that the record hash keeps Redis's compact
 *                                    listpack encoding: one value over `hash-max-listpack-value`
 *                                    (64 bytes by default) turns the whole hash into a hashtable,
 *                                    about 860 bytes for a record with a 200-byte payload against
 *                                    about 250 + 375 apart (MEMORY USAGE, Redis 7.0). A record
 *                                    written before this key existed holds `params` as a hash
 *                                    field; readers take that field when the hash has it.
 *   jd:{q}:d:<dedupKey>       string the id of the execution that owns this dedup key; deleted
 *                                    when that execution fails, is cancelled, or its record goes
 *   jd:{q}:t:<level>          set   job types with entries in that level's queues
 *   jd:{q}:q:<level>:<type>   list  "<seq>:<id>" entries in claim order (seqs grow from head to
 *                                   tail; a job put back at the front gets a negative seq); an
 *                                   entry is live while its record is queued with that seq, else
 *                                   stale, dropped when it reaches the head (see lib.lua)
 *   jd:{q}:s:<type>           zset  scheduled job id -> due time (the per-type view of `due`)
 *   jd:{q}:r:<type>           zset  running job id -> startedAt
 *   jd:{q}:f:<status>:<type>  zset  finished job id -> finishedAt, status completed | failed |
 *                                   cancelled | duplicated: retention trims from the low end (the
 *                                   oldest of every type's index, merged). No queue-wide index:
 *                                   it would cost about 135 bytes more per kept record
 *   jd:{q}:x:<seq>            any   a key moved aside as corrupt (renamed; expires after 7 days)
 *   jd:{q}:l:<type>           zset  rate limit log: claim token -> start time (the backend's
 *                                   clock) of the type's starts in its last `perMs` (plus a
 *                                   slack of 1 s for claims whose clock lags, see claim.lua);
 *                                   trimmed by the claim, expires that long after the last
 *                                   start. Exists only for types registered with `rateLimit`
 *
 * Repeating schedules (built in the scripts; schedule.lua is the only writer):
 *   jd:{q}:schedules          hash  schedule key -> its definition (JSON written by the
 *                                   dispatcher, schedules.ts; compared as a string)
 *   jd:{q}:schedule-next      zset  schedule key -> when its next tick is due (ms, the
 *                                   dispatchers' clock). A tick moves it with a compare-and-set on
 *                                   this score, so one process only submits each tick
 *
 * Limits are not stored: each claim passes its caller's limits (`rateLimit`, `globalConcurrency`
 * of the types it registered) as arguments, so a process needs no configuration from Redis and
 * a changed limit takes effect with the next claim; processes should agree on a type's limits.
 * Schedules are stored because they must outlive every process (a restart catches up a missed
 * tick from `schedule-next`).
 *
 * Every index is changed only by the scripts, in the same script call as the record, so counts
 * (the queue counters, ZCARDs of the sorted sets) are exact and a list page is a range read,
 * never a scan of keys. Queues are lists, not sorted sets, because a waiting job is the common
 * case and a list entry costs about 45 bytes against about 135 in a sorted set (measured with
 * MEMORY USAGE on 50,000 entries), and LPOP/RPUSH are cheaper than ZPOPMIN/ZADD.
 */
import { invalidArgument } from '../../errors.js';

const SUFFIX = {
  seq: 'seq',
  counts: 'counts',
  leases: 'leases',
  due: 'due',
  wake: 'wake',
  types: 'types',
  pause: 'pause',
  corrupt: 'corrupt',
  events: 'events',
  job: 'j:',
  params: 'p:',
  dedup: 'd:',
  levelTypes: 't:',
  queued: 'q:',
  scheduled: 's:',
  running: 'r:',
  finished: 'f:',
  movedAside: 'x:',
  rateLog: 'l:',
  schedules: 'schedules',
  scheduleNext: 'schedule-next',
} as const;

export interface QueueKeys {
  /** `jd:{queue}:`: every key of the queue starts with it (SCAN it to find them all). */
  readonly prefix: string;
  readonly seq: string;
  readonly counts: string;
  readonly leases: string;
  readonly due: string;
  readonly wake: string;
  readonly types: string;
  readonly pause: string;
  readonly corrupt: string;
  /** The event log (a stream). */
  readonly events: string;
  job(id: string): string;
  params(id: string): string;
  dedup(key: string): string;
  levelTypes(level: number): string;
  queued(level: number, jobType: string): string;
  scheduled(jobType: string): string;
  running(jobType: string): string;
  finished(status: string, jobType: string): string;
  rateLog(jobType: string): string;
  readonly schedules: string;
  readonly scheduleNext: string;
  /** The fixed keys every script receives, in the order the script prelude names them. */
  readonly scriptKeys: readonly string[];
}

/** Queue names may not contain braces: they would break the hash tag. */
export function queueKeys(queue: string): QueueKeys {
  if (typeof queue !== 'string' || queue === '' || /[{}]/.test(queue)) {
    throw invalidArgument('queue', 'a non-empty string without "{" or "}"', queue);
  }
  const prefix = `jd:{${queue}}:`;
  const fixed = {
    seq: prefix + SUFFIX.seq,
    counts: prefix + SUFFIX.counts,
    leases: prefix + SUFFIX.leases,
    due: prefix + SUFFIX.due,
    wake: prefix + SUFFIX.wake,
    types: prefix + SUFFIX.types,
    pause: prefix + SUFFIX.pause,
    corrupt: prefix + SUFFIX.corrupt,
    events: prefix + SUFFIX.events,
  };
  return {
    prefix,
    ...fixed,
    job: (id) => prefix + SUFFIX.job + id,
    params: (id) => prefix + SUFFIX.params + id,
    dedup: (key) => prefix + SUFFIX.dedup + key,
    levelTypes: (level) => prefix + SUFFIX.levelTypes + String(level),
    queued: (level, jobType) => `${prefix}${SUFFIX.queued}${level}:${jobType}`,
    scheduled: (jobType) => prefix + SUFFIX.scheduled + jobType,
    running: (jobType) => prefix + SUFFIX.running + jobType,
    finished: (status, jobType) => `${prefix}${SUFFIX.finished}${status}:${jobType}`,
    rateLog: (jobType) => prefix + SUFFIX.rateLog + jobType,
    schedules: prefix + SUFFIX.schedules,
    scheduleNext: prefix + SUFFIX.scheduleNext,
    scriptKeys: [
      fixed.seq,
      fixed.counts,
      fixed.leases,
      fixed.due,
      fixed.wake,
      fixed.types,
      fixed.pause,
      fixed.corrupt,
      fixed.events,
    ],
  };
}

/**
 * Lua that every script starts with: the fixed keys by name, and functions building the dynamic
 * keys from the queue prefix, cut from the declared `seq` key (the first ARGV carries it too, for
 * the ARGV layout of lib.lua, but keys are never built from ARGV).
 */
export function luaKeyPrelude(): string {
  return [
    'local SEQ, COUNTS, LEASES, DUE = KEYS[1], KEYS[2], KEYS[3], KEYS[4]',
    'local WAKE, TYPES, PAUSE, CORRUPT = KEYS[5], KEYS[6], KEYS[7], KEYS[8]',
    'local EVENT_LOG = KEYS[9]',
    // Derived from a declared key (not taken from ARGV): every key a script builds shares the
    // declared keys' hash tag, so Redis Cluster finds it in the slot the call was routed to.
    `local PREFIX = string.sub(SEQ, 1, #SEQ - ${SUFFIX.seq.length})`,
    `local function jobKey(id) return PREFIX .. '${SUFFIX.job}' .. id end`,
    `local function paramsKey(id) return PREFIX .. '${SUFFIX.params}' .. id end`,
    `local function dedupKey(key) return PREFIX .. '${SUFFIX.dedup}' .. key end`,
    `local function typesKey(level) return PREFIX .. '${SUFFIX.levelTypes}' .. level end`,
    `local function listKey(level, jobType) return PREFIX .. '${SUFFIX.queued}' .. level .. ':' .. jobType end`,
    `local function scheduledKey(jobType) return PREFIX .. '${SUFFIX.scheduled}' .. jobType end`,
    `local function runningKey(jobType) return PREFIX .. '${SUFFIX.running}' .. jobType end`,
    `local function finishedKey(status, jobType) return PREFIX .. '${SUFFIX.finished}' .. status .. ':' .. jobType end`,
    `local function movedAsideKey(n) return PREFIX .. '${SUFFIX.movedAside}' .. n end`,
    `local function rateLogKey(jobType) return PREFIX .. '${SUFFIX.rateLog}' .. jobType end`,
    `local SCHEDULES = PREFIX .. '${SUFFIX.schedules}'`,
    `local SCHEDULE_NEXT = PREFIX .. '${SUFFIX.scheduleNext}'`,
    '',
  ].join('\n');
}
