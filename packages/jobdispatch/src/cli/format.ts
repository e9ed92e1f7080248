/** Human output of the `jobdispatch` command: aligned tables and one-line events. */
import type { Job, JobEvent } from '../index.js';
import { priorityName } from '../job.js';

/** Columns padded to their widest cell; the header underlined by the column widths. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join(
    '\n',
  );
}

export function time(ms: number | undefined): string {
  return ms === undefined ? '-' : new Date(ms).toISOString();
}

export function priority(level: number): string {
  return priorityName(level === 0 || level === 2 ? level : 1);
}

export function jobRows(jobs: readonly Job[]): string {
  return table(
    ['ID', 'TYPE', 'STATUS', 'PRIORITY', 'ATTEMPTS', 'UPDATED'],
    jobs.map((job) => [
      job.id,
      job.name,
      job.status,
      priority(job.priority),
      String(job.attempts),
      time(job.updatedAt),
    ]),
  );
}

/** One job record, one field a line; params, result and error as JSON. */
export function jobDetail(job: Job): string {
  const fields: [string, string | undefined][] = [
    ['id', job.id],
    ['type', job.name],
    ['status', job.status],
    ['priority', priority(job.priority)],
    ['attempts', String(job.attempts)],
    ['description', job.description],
    ['dedupKey', job.dedupKey],
    ['duplicateOf', job.duplicateOf],
    ['created', time(job.createdAt)],
    ['updated', time(job.updatedAt)],
    ['runAt', job.runAt === undefined ? undefined : time(job.runAt)],
    ['started', job.startedAt === undefined ? undefined : time(job.startedAt)],
    ['finished', job.finishedAt === undefined ? undefined : time(job.finishedAt)],
    [
      'progress',
      job.progress === undefined
        ? undefined
        : `${job.progress.percent}%${job.progress.message ? ` ${job.progress.message}` : ''}`,
    ],
    ['cancelRequested', job.cancelRequested ? 'yes' : undefined],
    ['params', json(job.params)],
    ['result', job.result === undefined ? undefined : json(job.result)],
    ['error', job.error === undefined ? undefined : `${job.error.code}: ${job.error.message}`],
    ['stack', job.error?.stack],
  ];
  const shown = fields.filter((field): field is [string, string] => field[1] !== undefined);
  const width = Math.max(...shown.map(([key]) => key.length));
  return shown.map(([key, value]) => `${`${key}:`.padEnd(width + 2)}${value}`).join('\n');
}

export function eventLine(event: JobEvent): string {
  const parts = [time(event.at), event.type.padEnd(10), event.jobId];
  if (event.attempt !== undefined) parts.push(`attempt ${event.attempt}`);
  if (event.waitMs !== undefined) parts.push(`waited ${event.waitMs} ms`);
  if (event.progress !== undefined) {
    parts.push(`${event.progress.percent}%`);
    if (event.progress.message) parts.push(event.progress.message);
  }
  if (event.fromPriority !== undefined) {
    parts.push(`${priority(event.fromPriority)} -> ${priority(event.priority)}`);
  }
  if (event.delayMs !== undefined) parts.push(`next attempt in ${event.delayMs} ms`);
  if (event.duplicateOf !== undefined) parts.push(`duplicate of ${event.duplicateOf}`);
  if (event.error !== undefined) parts.push(`${event.error.code}: ${event.error.message}`);
  return parts.join('  ');
}

function json(value: unknown): string {
  return value === undefined ? '-' : JSON.stringify(value);
}
