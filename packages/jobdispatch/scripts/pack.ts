/**
 * Packs the library as it is published: `npm run package -w jobdispatch [-- <destination dir>]` prints the tarball's
 * path. It stages a copy of the package in a temporary directory and runs `npm pack` there:
 *
 * - dist/ built afresh without source maps (a map would point at ../src, which is not shipped) and
 *   with the Lua scripts;
 * - the project README and the LICENSE;
 * - a package.json without the `source` export condition (it names src/, used only inside this
 *   repository to run the TypeScript sources), without scripts and devDependencies.
 *
 * Staging keeps the checked-in package.json as it is (nothing to restore if packing fails half
 * way). `npm pack` run in the package directory itself is refused by its prepack script, so the
 * only tarball there is is this one; publish it with `npm publish <tarball>`.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = fileURLToPath(new URL('..', import.meta.url));
const rootDir = join(pkgDir, '..', '..');
const destination = resolve(process.argv[2] ?? pkgDir);
mkdirSync(destination, { recursive: true });
const stage = mkdtempSync(join(tmpdir(), 'jobdispatch-pack-'));

try {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(
    process.execPath,
    [tsc, '-p', join(pkgDir, 'tsconfig.pack.json'), '--outDir', join(stage, 'dist')],
    { stdio: 'inherit' },
  );
  cpSync(join(pkgDir, 'src/backends/redis/scripts'), join(stage, 'dist/backends/redis/scripts'), {
    recursive: true,
  });
  cpSync(join(rootDir, 'README.md'), join(stage, 'README.md'));
  cpSync(join(pkgDir, 'LICENSE'), join(stage, 'LICENSE'));
  writeFileSync(join(stage, 'package.json'), JSON.stringify(publishedManifest(), null, 2) + '\n');
  const output = execFileSync(
    'npm',
    ['pack', '--json', '--pack-destination', destination, '--ignore-scripts'],
    { cwd: stage, encoding: 'utf8' },
  );
  const [{ filename }] = JSON.parse(output) as [{ filename: string }];
  process.stdout.write(join(destination, filename) + '\n');
} finally {
  rmSync(stage, { recursive: true, force: true });
}

/** The checked-in manifest minus what only this repository uses. */
function publishedManifest(): Record<string, unknown> {
  const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  delete manifest.scripts;
  delete manifest.devDependencies;
  manifest.exports = withoutSource(manifest.exports);
  manifest.files = ['dist'];
  return manifest;
}

function withoutSource(exports: unknown): unknown {
  if (exports === null || typeof exports !== 'object') return exports;
  return Object.fromEntries(
    Object.entries(exports)
      .filter(([condition]) => condition !== 'source')
      .map(([key, value]) => [key, withoutSource(value)]),
  );
}
