/**
 * Packs the library as it is published: `npm run package -w jobdispatch [-- <destination dir>]` prints the tarball's
 * path. It stages a copy of the package in a temporary directory and runs `npm pack` there:
 *
 * - dist/ built afresh without source maps (a map would point at ../src, which is not shipped) and
 *   with the Lua scripts; in its declaration files, each import from an optional peer dependency
 *   (ioredis, piscina) is marked `@ts-ignore`, so a TypeScript project without that package
 *   compiles with `skipLibCheck: false` (the tsc default) too: the types it would name are then
 *   `any`, and with the package installed they are its own;
 * - the project README and the LICENSE;
 * - a package.json without the `source` export condition (it names src/, used only inside this
 *   repository to run the TypeScript sources), without scripts and devDependencies.
 *
 * Staging keeps the checked-in package.json as it is (nothing to restore if packing fails half
 * way). `npm pack` run in the package directory itself is refused by its prepack script, so the
 * only tarball there is is this one; publish it with `npm publish <tarball>`.
 */
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = fileURLToPath(new URL('..', import.meta.url));
const rootDir = join(pkgDir, '..', '..');
const destination = resolve(process.argv[2] ?? pkgDir);
mkdirSync(destination, { recursive: true });
const stage = mkdtempSync(join(tmpdir(), 'jobdispatch-pack-'));
/** The optional peer dependencies (package.json peerDependenciesMeta) whose types dist names. */
const OPTIONAL_PEERS = ['ioredis', 'piscina'];

try {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(
    process.execPath,
    [tsc, '-p', join(pkgDir, 'tsconfig.pack.json'), '--outDir', join(stage, 'dist')],
    { stdio: 'inherit' },
  );
  markOptionalPeerImports(join(stage, 'dist'));
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

/** Puts `// @ts-ignore` above each declaration-file import from an optional peer dependency. */
function markOptionalPeerImports(dir: string): void {
  const peers = OPTIONAL_PEERS.join('|');
  const fromPeer = new RegExp(`^(import|export) .* from '(${peers})';$`);
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.d.ts')) continue;
    const file = join(entry.parentPath, entry.name);
    const lines = readFileSync(file, 'utf8').split('\n');
    const marked = lines.flatMap((line) =>
      fromPeer.test(line)
        ? ['// @ts-ignore: an optional peer dependency, maybe not installed', line]
        : [line],
    );
    if (marked.length !== lines.length) writeFileSync(file, marked.join('\n'));
  }
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
