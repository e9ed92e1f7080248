/**
 * CSV records with the line each starts on, read by csv-parse (RFC 4180: quoted fields may hold
 * commas, doubled quotes and line breaks; CRLF, LF or CR end a record; blank lines are skipped).
 * Each record carries the 1-based line it starts on (counting the header and the line breaks
 * inside quoted fields), so a bad row can be reported where an editor shows it.
 */
import { parse } from 'csv-parse/sync';

export interface CsvRecord {
  readonly line: number;
  readonly values: readonly string[];
}

export type CsvResult =
  | { readonly ok: true; readonly records: readonly CsvRecord[] }
  | { readonly ok: false; readonly line: number; readonly message: string };

interface Parsed {
  readonly record: string[];
  readonly raw: string;
}

export function parseCsv(text: string): CsvResult {
  const source = text.startsWith('\uFEFF') ? text.slice(1) : text;
  let parsed: Parsed[];
  try {
    parsed = parse(source, {
      raw: true,
      relax_column_count: true,
      skip_empty_lines: true,
      record_delimiter: ['\r\n', '\n', '\r'],
    }) as unknown as Parsed[];
  } catch (error) {
    const { code, lines } = error as { code?: string; lines?: number };
    const message =
      code === 'CSV_QUOTE_NOT_CLOSED'
        ? 'a quoted field is never closed'
        : (error as Error).message.replace(/^[^:]*:\s*/, '');
    return { ok: false, line: lines ?? 0, message };
  }
  // Each raw text runs from the end of the previous record (skipped blank lines included).
  const records: CsvRecord[] = [];
  let line = 1;
  for (const { record, raw } of parsed) {
    const blank = /^(?:\r\n|\n|\r)*/.exec(raw)?.[0] ?? '';
    line += lineBreaks(blank);
    records.push({ line, values: record });
    line += lineBreaks(raw.slice(blank.length));
  }
  return { ok: true, records };
}

function lineBreaks(text: string): number {
  return text.match(/\r\n|\n|\r/g)?.length ?? 0;
}
