/**
 * What an error message may repeat of a request: a short, bounded rendering of any value. It never
 * walks deeper than a few levels (a 5,000-deep `[[[...]]]` body costs nothing) and never grows past
 * `MAX_ECHO_LENGTH` characters, so a 16 KB body is not sent back in a 400.
 */

/** Longest rendering of a received value in an error message. */
export const MAX_ECHO_LENGTH = 80;
/** Longest error message the service sends (its own texts are far shorter). */
export const MAX_MESSAGE_LENGTH = 500;
const MAX_DEPTH = 3;

export function echo(value: unknown): string {
  return truncate(render(value, 0), MAX_ECHO_LENGTH);
}

export function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

function render(value: unknown, depth: number): string {
  if (typeof value === 'string') return JSON.stringify(truncate(value, MAX_ECHO_LENGTH));
  if (typeof value === 'number' || typeof value === 'boolean' || value == null)
    return String(value);
  if (typeof value !== 'object') return typeof value;
  if (depth >= MAX_DEPTH) return Array.isArray(value) ? '[...]' : '{...}';
  let out = '';
  if (Array.isArray(value)) {
    for (const item of value as unknown[]) {
      out += (out === '' ? '' : ',') + render(item, depth + 1);
      if (out.length > MAX_ECHO_LENGTH) break;
    }
    return `[${out}]`;
  }
  for (const [key, item] of Object.entries(value)) {
    out += `${out === '' ? '' : ','}${JSON.stringify(truncate(key, 40))}:${render(item, depth + 1)}`;
    if (out.length > MAX_ECHO_LENGTH) break;
  }
  return `{${out}}`;
}
