import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');

it('the dispatch benchmark runs every row in smoke mode and prints its tables and ratios', async () => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', '--expose-gc', 'bench/dispatch.bench.ts', '--smoke'],
    { cwd: packageDir, timeout: 60_000 },
  );
  for (const header of [
    /^Throughput: /m,
    /^contender +jobs\/s +trials +range +CPU ns\/job +peak RSS MB +peak heap Δ MB$/m,
    /^Ours \/ peer/m,
    /^Enqueue cost/m,
    /^call +jobs +first 10% +last 10% +last \/ first$/m,
    /^HIGH behind LOW/m,
    /^contender +HIGH waited +LOW jobs started first$/m,
  ]) {
    assert.match(stdout, header);
  }
  for (const peer of ['p-queue', 'fastq']) assert.match(stdout, new RegExp(`vs ${peer}`));
  // Issue 12's in-process table: every row with its figure, its target and met/missed.
  assert.match(stdout, /^Issue 12, in process: /m);
  assert.match(
    stdout,
    /^full Dispatcher vs p-queue, jobs\/s +\d+\.\d+x +>= 10\.0x +(met|missed)$/m,
  );
  assert.match(stdout, /^full Dispatcher vs fastq, jobs\/s +\d+\.\d+x +>= 0\.30x +(met|missed)$/m);
  assert.match(
    stdout,
    /^heap per retained record, [\d,]+ jobs +[\d,]+ B +<= 300 B +(met|missed)$/m,
  );
  assert.match(
    stdout,
    /^CPU per job \(median\): full Dispatcher [\d,]+ ns, p-queue [\d,]+ ns, fastq [\d,]+ ns/m,
  );
  for (const ours of ["this dispatcher's queue", 'full Dispatcher']) {
    const row = stdout.split('\n').find((line) => line.startsWith(ours) && line.includes('x ('));
    assert.ok(row, `a ratio row for ${ours}`);
    assert.equal(
      row.match(/\d+(\.\d+)?x \((met|missed)\)/g)?.length,
      2,
      `a ratio to each peer: ${row}`,
    );
  }
});
