/**
 * The Lua scripts, one per atomic operation (`scripts/*.lua`), and the one table of their integer
 * results. Each script is sent as: the key prelude of keys.ts, the result codes `R`, the record
 * fields a claim reads and returns (record.ts), `lib.lua`, then the script itself. Scripts are loaded once per connection (SCRIPT LOAD at open) and called
 * by SHA (EVALSHA); a NOSCRIPT reply (the server restarted, failed over, or SCRIPT FLUSH) reloads
 * the script and calls it again.
 *
 * Every script starts with `SCRIPT_SHEBANG` (`#!lua`, no flags): a script without one runs in
 * Redis's compatibility mode, where Redis Cluster lets it touch any key of the node it runs on, in
 * any slot. With it, Redis refuses a script that touches a key outside the slot of its declared
 * keys, so a key built without the queue's hash tag fails every call that touches it (on the
 * cluster tests' three masters, not only when it lands on another node).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { RedisClient as Redis } from './client.js';
import { DispatchError, type DispatchErrorCode } from '../../errors.js';
import { scriptTargets } from './client.js';
import { type QueueKeys, luaKeyPrelude } from './keys.js';
import { CLAIM_FIELDS, CLAIM_READ_FIELDS } from './record.js';

/** Every integer a script returns, by name. Negative results are errors (see `ERROR_OF`). */
export const R = {
  NOT_HELD: 0,
  OK: 1,
  DUPLICATED: 2,
  CANCEL_REQUESTED: 3,
  ALREADY_FINISHED: 4,
  SCHEDULED: 5,
  JOB_NOT_FOUND: -1,
  QUEUE_FULL: -2,
  ID_TAKEN: -3,
  INVALID_STATE: -4,
} as const;

/** The error code of each negative script result. */
export const ERROR_OF: Readonly<Record<number, DispatchErrorCode>> = {
  [R.JOB_NOT_FOUND]: 'JOB_NOT_FOUND',
  [R.QUEUE_FULL]: 'QUEUE_FULL',
  [R.ID_TAKEN]: 'INVALID_ARGUMENT',
  [R.INVALID_STATE]: 'INVALID_STATE',
};

/** The first line of every script: Lua with default flags (Redis 7.0), so Redis checks every key's slot. */
export const SCRIPT_SHEBANG = '#!lua';

const NAMES = [
  'submit',
  'claim',
  'promote',
  'reap',
  'renew',
  'progress',
  'finish',
  'retry',
  'release',
  'cancel',
  'requeue',
  'remove',
  'priority',
  'pause',
  'list',
  'counts',
  'schedule',
] as const;

export type ScriptName = (typeof NAMES)[number];

interface Script {
  readonly source: string;
  readonly sha: string;
}

let compiled: ReadonlyMap<ScriptName, Script> | undefined;

/** Reads and assembles the scripts once per process (lazily: a memory-only user never does). */
function scripts(): ReadonlyMap<ScriptName, Script> {
  if (compiled !== undefined) return compiled;
  const dir = new URL('./scripts/', import.meta.url);
  const read = (name: string): string => readFileSync(new URL(`${name}.lua`, dir), 'utf8');
  const codes = Object.entries(R)
    .map(([name, value]) => `${name} = ${value}`)
    .join(', ');
  const fields = CLAIM_READ_FIELDS.map((field) => `'${field}'`).join(', ');
  const positions = CLAIM_READ_FIELDS.map((field, i) => `${field} = ${i + 1}`).join(', ');
  const header =
    `${luaKeyPrelude()}local R = { ${codes} }\n` +
    `local CLAIM_READ_FIELDS = { ${fields} }\nlocal CLAIM_FIELD = { ${positions} }\n` +
    `local CLAIM_RETURNED = ${CLAIM_FIELDS.length}\n` +
    `${read('lib')}\n`;
  const map = new Map<ScriptName, Script>();
  for (const name of NAMES) {
    const source = `${SCRIPT_SHEBANG}\n${header}-- ${name}.lua\n${read(name)}`;
    map.set(name, { source, sha: createHash('sha1').update(source).digest('hex') });
  }
  compiled = map;
  return map;
}

/** Loads every script into the server's script cache. */
export async function loadScripts(client: Redis): Promise<void> {
  await Promise.all(
    scriptTargets(client).map(async (node) => {
      const pipeline = node.pipeline();
      for (const script of scripts().values()) pipeline.script('LOAD', script.source);
      const results = (await pipeline.exec()) ?? [];
      for (const [error] of results) if (error) throw error;
    }),
  );
}

/**
 * Runs a script by SHA with the queue's fixed keys, then `common` (the ARGV every script reads,
 * see lib.lua: the prefix first), then the script's own `args`.
 */
export async function runScript(
  client: Redis,
  name: ScriptName,
  keys: QueueKeys,
  common: readonly (string | number)[],
  args: readonly (string | number)[],
): Promise<unknown> {
  const script = scripts().get(name)!;
  const argv = [...common, ...args];
  try {
    return await client.evalsha(script.sha, keys.scriptKeys.length, ...keys.scriptKeys, ...argv);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    // EVAL goes where the keys are (on a Cluster, the queue's node) and caches the script there.
    return client.eval(script.source, keys.scriptKeys.length, ...keys.scriptKeys, ...argv);
  }
}

/** The DispatchError for a negative script result. */
export function scriptError(result: number, message: string, jobId?: string): DispatchError {
  const code = ERROR_OF[result];
  if (code === undefined) {
    return new DispatchError('BACKEND_UNAVAILABLE', `unexpected script result ${result}`);
  }
  return new DispatchError(code, message, jobId === undefined ? {} : { jobId });
}
