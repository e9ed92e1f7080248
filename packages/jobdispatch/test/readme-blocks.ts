/**
 * Running a README code block as a user would: the block after `<!-- MARKER ... -->` is written
 * inside the package (so that 'jobdispatch' and its subpaths resolve as they do for a user) and
 * run under tsx. The file is removed afterwards unless `keep` asks for it (a later check reads it).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = join(here, '..', '..', '..');
export const scratchDir = join(here, '..', '.tmp');

export interface ReadmeBlockRun {
  /** The block's source. */
  readonly source: string;
  /** Its printed lines, trimmed. */
  readonly printed: string[];
  /** Where it was written; removed by `cleanup()`. */
  readonly file: string;
  cleanup(): Promise<void>;
}

export async function runReadmeBlock(marker: string): Promise<ReadmeBlockRun> {
  const readme = await readFile(join(repoRoot, 'README.md'), 'utf8');
  const match = new RegExp(`<!-- ${marker}[^>]*-->\\s*\`\`\`ts\\n([\\s\\S]*?)\`\`\``).exec(readme);
  assert.ok(match, `the README has a ${marker} block`);
  const source = match[1]!;
  await mkdir(scratchDir, { recursive: true });
  const file = join(scratchDir, `${marker}-${process.pid}.mts`);
  await writeFile(file, source);
  const cleanup = () => rm(file, { force: true });
  try {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', file],
      { cwd: scratchDir, timeout: 60_000 },
    );
    return { source, printed: stdout.trim().split('\n'), file, cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
