/**
 * The `jobdispatch` command: inspects and operates a queue on Redis.
 *
 * Arguments are parsed by Node's `util.parseArgs` (strict: an unknown option or a missing value
 * is a usage error). The command set is small and flat (one command word, at most one operand, a
 * handful of options), which parseArgs covers without a dependency.
 *
 * The command runs a `Dispatcher` with no workers on the queue's `RedisBackend`: it claims
 * nothing; `watch` follows one job with the dispatcher's `watch(id)`.
 */
import { parseArgs } from 'node:util';
import { jobNotFound } from '../errors.js';
import {
  DEFAULT_QUEUE,
  DEFAULT_REDIS_URL,
  DispatchError,
  Dispatcher,
  type Job,
  type JobCounts,
  type JobEvent,
  LIST_STATUS_ORDER,
  type ListQuery,
  type ListableStatus,
  RedisBackend,
  isDispatchError,
  isFinalEvent,
  isFinalStatus,
} from '../index.js';
import { eventLine, jobDetail, jobRows, table } from './format.js';

/** What the command's exit status says. */
export const ExitCode = {
  Ok: 0,
  /** Anything not listed below (a bug, or an error Redis returned). */
  Error: 1,
  /** Unknown command or option, a missing or invalid argument. */
  Usage: 2,
  /** No job with that id. */
  NotFound: 3,
  /** The job is not in a state that allows it (retry of a completed job, cancel of a finished one, remove of a running one). */
  InvalidState: 4,
  /** Redis did not answer (connect failed, or no reply within `--timeout`). */
  Unavailable: 5,
  /** `watch`: the job ended failed or cancelled. */
  JobFailed: 6,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** How long a command other than `watch` may take, by default. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 10_000;
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborted on SIGINT/SIGTERM: `watch` stops. */
  readonly signal?: AbortSignal;
}

export const USAGE = `Usage: jobdispatch <command> [operand] [options]

Commands:
  stats                 queued per level, counts by state, pauses
  counts                record counts by state (--name TYPE for one job type)
  list                  job records (--status S, repeatable; --name TYPE; --limit N; --cursor C)
  show ID               one job record
  watch ID              follow a job until it ends (exit 6 if it failed or was cancelled, 3 if removed)
  cancel ID             cancel a queued, scheduled or running job
  retry ID              queue a failed or cancelled job again
  remove ID             delete a job record that is not running
  pause [TYPE]          stop claims of one job type, or of the whole queue
  resume [TYPE]         undo a pause

Options:
  --redis URL           Redis server (env JOBDISPATCH_REDIS_URL, default ${DEFAULT_REDIS_URL})
  --queue NAME          queue name (env JOBDISPATCH_QUEUE, default ${DEFAULT_QUEUE})
  --json                machine-readable output (watch: one JSON event a line)
  --timeout MS          most time a command may take (default ${DEFAULT_COMMAND_TIMEOUT_MS}; watch: none)
  -h, --help            this text

Exit status: 0 ok, 1 error, 2 bad usage, 3 job not found, 4 invalid state,
5 Redis unavailable, 6 watched job failed or was cancelled.`;

const COMMANDS = {
  stats: 'none',
  counts: 'none',
  list: 'none',
  show: 'id',
  watch: 'id',
  cancel: 'id',
  retry: 'id',
  remove: 'id',
  pause: 'type',
  resume: 'type',
} as const;
type Command = keyof typeof COMMANDS;

interface Parsed {
  readonly command: Command;
  readonly operand: string | undefined;
  readonly redis: string;
  readonly queue: string;
  readonly json: boolean;
  readonly timeoutMs: number | undefined;
  readonly list: ListQuery;
  readonly name: string | undefined;
}

class UsageError extends Error {}

/** Runs one command line (without the node and script words); resolves with the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  let parsed: Parsed | 'help';
  try {
    parsed = parse(argv, io.env);
  } catch (error) {
    io.stderr(`jobdispatch: ${(error as Error).message}\n\n${USAGE}\n`);
    return ExitCode.Usage;
  }
  if (parsed === 'help') {
    io.stdout(`${USAGE}\n`);
    return ExitCode.Ok;
  }
  const warnings: string[] = [];
  const dispatcher = new Dispatcher({
    workers: 0,
    backend: new RedisBackend({
      url: parsed.redis,
      queue: parsed.queue,
      onError: (error) => warnings.push(String(error)),
    }),
    onError: (error) => warnings.push(String(error)),
  });
  const timeoutMs =
    parsed.timeoutMs ?? (parsed.command === 'watch' ? 0 : DEFAULT_COMMAND_TIMEOUT_MS);
  let timer: NodeJS.Timeout | undefined;
  try {
    const work = (async () => {
      await dispatcher.start();
      return execute(dispatcher, parsed, io);
    })();
    const limit =
      timeoutMs > 0
        ? new Promise<never>((_, reject) => {
            timer = setTimeout(
              () =>
                reject(
                  new DispatchError(
                    'BACKEND_UNAVAILABLE',
                    `no answer from Redis within ${timeoutMs} ms (--timeout)`,
                  ),
                ),
              timeoutMs,
            );
          })
        : undefined;
    return await (limit === undefined ? work : Promise.race([work, limit]));
  } catch (error) {
    return report(error, io, parsed.json);
  } finally {
    clearTimeout(timer);
    await dispatcher.stop({ timeoutMs: 1000 }).catch(() => undefined);
    for (const warning of warnings.slice(0, 3)) io.stderr(`jobdispatch: warning: ${warning}\n`);
  }
}

function parse(argv: readonly string[], env: CliIo['env']): Parsed | 'help' {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      redis: { type: 'string' },
      queue: { type: 'string' },
      json: { type: 'boolean', default: false },
      timeout: { type: 'string' },
      status: { type: 'string', multiple: true },
      name: { type: 'string' },
      limit: { type: 'string' },
      cursor: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  const [word, operand, ...extra] = positionals;
  if (word === undefined) throw new UsageError('a command is required');
  if (!Object.hasOwn(COMMANDS, word)) throw new UsageError(`unknown command "${word}"`);
  const command = word as Command;
  const takes = COMMANDS[command];
  if (extra.length > 0 || (takes === 'none' && operand !== undefined)) {
    throw new UsageError(`too many arguments for ${command}: ${positionals.slice(1).join(' ')}`);
  }
  if (takes === 'id' && (operand === undefined || operand === '')) {
    throw new UsageError(`${command} needs a job ID`);
  }
  const listOnly = (['status', 'limit', 'cursor'] as const).filter(
    (key) => values[key] !== undefined,
  );
  if (command !== 'list' && listOnly.length > 0) {
    throw new UsageError(`--${listOnly[0]} is an option of list only`);
  }
  if (values.name !== undefined && command !== 'list' && command !== 'counts') {
    throw new UsageError('--name is an option of list and counts only');
  }
  const redis = values.redis ?? env['JOBDISPATCH_REDIS_URL'] ?? DEFAULT_REDIS_URL;
  const queue = values.queue ?? env['JOBDISPATCH_QUEUE'] ?? DEFAULT_QUEUE;
  if (redis === '') throw new UsageError('--redis must be a redis:// or rediss:// URL, got ""');
  if (queue === '') throw new UsageError('--queue must be a non-empty name, got ""');
  const timeoutMs =
    values.timeout === undefined ? undefined : integer('--timeout', values.timeout, 0);
  const statuses: ListableStatus[] = [];
  for (const value of (values.status ?? []).flatMap((s) => s.split(','))) {
    if (!(LIST_STATUS_ORDER as readonly string[]).includes(value)) {
      throw new UsageError(
        `--status must be one of ${LIST_STATUS_ORDER.join(', ')}, got "${value}"`,
      );
    }
    statuses.push(value as ListableStatus);
  }
  const list: ListQuery = {
    ...(statuses.length > 0 && { status: statuses }),
    ...(values.name !== undefined && { name: values.name }),
    ...(values.limit !== undefined && { limit: integer('--limit', values.limit, 1) }),
    ...(values.cursor !== undefined && { cursor: values.cursor }),
  };
  return {
    command,
    operand,
    redis,
    queue,
    json: values.json,
    timeoutMs,
    list,
    name: values.name,
  };
}

function integer(option: string, text: string, min: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min) {
    throw new UsageError(`${option} must be an integer >= ${min}, got "${text}"`);
  }
  return value;
}

async function execute(dispatcher: Dispatcher, parsed: Parsed, io: CliIo): Promise<ExitCode> {
  const out = (human: string, data: unknown): void =>
    io.stdout(parsed.json ? `${JSON.stringify(data)}\n` : `${human}\n`);
  const id = parsed.operand ?? '';
  switch (parsed.command) {
    case 'stats': {
      const [stats, counts, paused] = await Promise.all([
        dispatcher.stats(),
        dispatcher.counts(),
        dispatcher.paused(),
      ]);
      const levels = {
        high: stats.levels.high.queued,
        normal: stats.levels.normal.queued,
        low: stats.levels.low.queued,
      };
      out(
        [
          `queue ${parsed.queue}: ${paused.queue ? 'PAUSED' : 'running'}; paused types: ${paused.types.join(', ') || '-'}`,
          '',
          table(
            ['LEVEL', 'QUEUED'],
            Object.entries(levels).map(([level, queued]) => [level, String(queued)]),
          ),
          '',
          countsTable(counts),
        ].join('\n'),
        { queue: parsed.queue, queued: levels, counts, paused },
      );
      return ExitCode.Ok;
    }
    case 'counts': {
      const counts = await dispatcher.counts(
        parsed.name === undefined ? {} : { name: parsed.name },
      );
      out(countsTable(counts), counts);
      return ExitCode.Ok;
    }
    case 'list': {
      const page = await dispatcher.list(parsed.list);
      const more = page.cursor === undefined ? '' : `\nmore: --cursor ${page.cursor}`;
      out(page.jobs.length === 0 ? `no jobs${more}` : `${jobRows(page.jobs)}${more}`, page);
      return ExitCode.Ok;
    }
    case 'show': {
      const job = await dispatcher.get(id);
      if (job === undefined) return notFound(id, io, parsed.json);
      out(jobDetail(job), job);
      return ExitCode.Ok;
    }
    case 'watch':
      return watch(dispatcher, id, parsed.json, io);
    case 'cancel': {
      const result = await dispatcher.cancel(id);
      if (result.outcome === 'already-finished') {
        io.stderr(
          `jobdispatch: job ${id} had already finished (${result.job.status}); nothing changed\n`,
        );
        if (parsed.json) io.stdout(`${JSON.stringify(result)}\n`);
        return ExitCode.InvalidState;
      }
      out(
        result.outcome === 'cancelled'
          ? `cancelled ${id} (it will not start)`
          : `cancel requested for ${id} (running: it ends when its handler returns)`,
        result,
      );
      return ExitCode.Ok;
    }
    case 'retry': {
      const job = await dispatcher.retry(id);
      out(`queued ${id} again (${job.status}, attempts so far ${job.attempts})`, job);
      return ExitCode.Ok;
    }
    case 'remove': {
      const removed = await dispatcher.remove(id);
      if (!removed) return notFound(id, io, parsed.json);
      out(`removed ${id}`, { removed: true, id });
      return ExitCode.Ok;
    }
    case 'pause':
    case 'resume': {
      const name = parsed.operand;
      await (parsed.command === 'pause' ? dispatcher.pause(name) : dispatcher.resume(name));
      const paused = await dispatcher.paused();
      out(
        `${parsed.command === 'pause' ? 'paused' : 'resumed'} ${name === undefined ? `queue ${parsed.queue}` : `type ${name}`}; now paused: ${[...(paused.queue ? ['(queue)'] : []), ...paused.types].join(', ') || 'nothing'}`,
        paused,
      );
      return ExitCode.Ok;
    }
  }
}

function countsTable(counts: JobCounts): string {
  return table(
    ['STATE', 'COUNT'],
    Object.entries(counts)
      .filter((entry): entry is [string, number] => entry[1] !== undefined)
      .map(([state, count]) => [state, String(count)]),
  );
}

/**
 * Follows the job with the library's `watch(id)`: prints its snapshot (the record), then its
 * events, and ends with its final one: exit 0 when it completed, 6 when it failed or was
 * cancelled, 3 when it is unknown or was removed. A duplicate is followed to the execution it
 * joined. `watch()` reads the record and the log position together, so nothing is missed
 * between them.
 */
async function watch(
  dispatcher: Dispatcher,
  firstId: string,
  json: boolean,
  io: CliIo,
): Promise<ExitCode> {
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  io.signal?.addEventListener('abort', stop, { once: true });
  const print = (event: JobEvent): void =>
    io.stdout(json ? `${JSON.stringify(event)}\n` : `${eventLine(event)}\n`);
  const printSnapshot = (job: Job): void =>
    io.stdout(
      json
        ? `${JSON.stringify({ type: 'snapshot', jobId: job.id, job })}\n`
        : `${job.id}  ${job.name}  ${job.status}  attempts ${job.attempts}\n`,
    );
  try {
    let id = firstId;
    for (;;) {
      /** The job this one turned out to duplicate: watched next. */
      let joined: string | undefined;
      try {
        for await (const event of dispatcher.watch(id, { signal: controller.signal })) {
          if (event.type === 'snapshot') {
            printSnapshot(event.job);
            if (event.job.status === 'duplicated' && event.job.duplicateOf !== undefined) {
              joined = event.job.duplicateOf;
              break;
            }
            if (isFinalStatus(event.job.status)) return endOf(event.job.status);
            continue;
          }
          print(event);
          if (event.type === 'duplicated' && event.duplicateOf !== undefined) {
            joined = event.duplicateOf;
            break;
          }
          if (event.type === 'removed') return removed(id, io, json);
          if (isFinalEvent(event)) return endOf(event.type);
        }
      } catch (error) {
        if (isDispatchError(error) && error.code === 'JOB_NOT_FOUND') {
          return notFound(id, io, json);
        }
        throw error;
      }
      if (joined !== undefined) {
        id = joined;
        continue;
      }
      // The iteration ended without a final event: interrupted, or the record is gone (removed
      // while the watcher had fallen behind a trimmed log).
      if (controller.signal.aborted) {
        io.stderr(`jobdispatch: watch of ${id} interrupted before the job ended\n`);
        return ExitCode.Error;
      }
      if ((await dispatcher.get(id)) === undefined) return removed(id, io, json);
      io.stderr(`jobdispatch: watch of ${id} stopped before the job ended\n`);
      return ExitCode.Error;
    }
  } finally {
    io.signal?.removeEventListener('abort', stop);
    controller.abort();
  }
}

function removed(id: string, io: CliIo, json: boolean): ExitCode {
  return report(
    new DispatchError('JOB_NOT_FOUND', `job ${id} was removed while it was watched`),
    io,
    json,
  );
}

function endOf(status: string): ExitCode {
  return status === 'completed' ? ExitCode.Ok : ExitCode.JobFailed;
}

function notFound(id: string, io: CliIo, json: boolean): ExitCode {
  return report(jobNotFound(id), io, json);
}

function report(error: unknown, io: CliIo, json: boolean): ExitCode {
  const code = isDispatchError(error) ? error.code : 'ERROR';
  const message = error instanceof Error ? error.message : String(error);
  io.stderr(
    json ? `${JSON.stringify({ error: { code, message } })}\n` : `jobdispatch: ${message}\n`,
  );
  switch (code) {
    case 'JOB_NOT_FOUND':
      return ExitCode.NotFound;
    case 'INVALID_STATE':
      return ExitCode.InvalidState;
    case 'INVALID_ARGUMENT':
      return ExitCode.Usage;
    case 'BACKEND_UNAVAILABLE':
    case 'QUEUE_CLOSED':
      return ExitCode.Unavailable;
    default:
      return ExitCode.Error;
  }
}
