/**
 * The package as users get it: `npm run package` builds the tarball that is published; it holds the
 * README, the LICENSE, dist/ and the Lua scripts and nothing that points at src/. Installed alone
 * into a fresh project (`npm install <tarball>`, no ioredis, no piscina), the README's quick start
 * runs there as written, and RedisBackend and threadedHandler say which package they need.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const pkgDir = join(here, '..');
const root = join(pkgDir, '..', '..');
const tsxLoader = import.meta.resolve('tsx');
const NPM_FLAGS = ['--prefer-offline', '--no-audit', '--no-fund', '--loglevel=warn'];

describe('the packed library', () => {
  let work: string;
  let tarball: string;
  let unpacked: string;
  let project: string;
  let installOutput: string;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'jobdispatch-package-'));
    const packed = await run(
      process.execPath,
      ['--import', tsxLoader, join(pkgDir, 'scripts/pack.ts'), work],
      {
        timeout: 180_000,
      },
    );
    tarball = packed.stdout.trim().split('\n').pop()!;
    unpacked = join(work, 'unpacked');
    await run('mkdir', [unpacked]);
    await run('tar', ['xzf', tarball, '-C', unpacked]);
    project = join(work, 'app');
    await run('mkdir', [project]);
    await writeFile(
      join(project, 'package.json'),
      JSON.stringify({ name: 'app', private: true, type: 'module' }),
    );
    const installed = await run('npm', ['install', tarball, ...NPM_FLAGS], {
      cwd: project,
      timeout: 180_000,
    });
    installOutput = installed.stdout + installed.stderr;
  });
  after(() => rm(work, { recursive: true, force: true }));

  it('holds the README, the LICENSE, dist and the Lua scripts, and no sources or source maps', async () => {
    const files = await listFiles(join(unpacked, 'package'));
    for (const file of [
      'README.md',
      'LICENSE',
      'package.json',
      'dist/index.js',
      'dist/index.d.ts',
    ]) {
      assert.ok(files.includes(file), `${file} is packed`);
    }
    const lua = await readdir(join(pkgDir, 'src/backends/redis/scripts'));
    for (const script of lua) {
      assert.ok(files.includes(`dist/backends/redis/scripts/${script}`), `${script} is packed`);
    }
    assert.deepEqual(
      files.filter(
        (f) =>
          f.startsWith('src/') || f.endsWith('.map') || (f.endsWith('.ts') && !f.endsWith('.d.ts')),
      ),
      [],
    );
    for (const file of files.filter((f) => f.endsWith('.js') || f.endsWith('.d.ts'))) {
      const text = await readFile(join(unpacked, 'package', file), 'utf8');
      assert.ok(!text.includes('sourceMappingURL'), `${file} points at no source map`);
      assert.ok(!/['"](\.\.\/)+src\//.test(text), `${file} points at no src/ file`);
    }
  });

  it('names in its manifest only files it ships, with no source condition', async () => {
    const manifest = JSON.parse(await readFile(join(unpacked, 'package/package.json'), 'utf8')) as {
      exports: unknown;
      bin?: unknown;
      devDependencies?: unknown;
      peerDependenciesMeta: Record<string, { optional?: boolean }>;
    };
    const targets: string[] = [];
    const walk = (value: unknown, path: string): void => {
      if (typeof value === 'string') targets.push(value);
      else if (value !== null && typeof value === 'object') {
        for (const [key, inner] of Object.entries(value)) {
          assert.notEqual(key, 'source', `no "source" condition at ${path}`);
          walk(inner, `${path}.${key}`);
        }
      }
    };
    walk(manifest.exports, 'exports');
    walk(manifest.bin, 'bin');
    assert.ok(targets.length > 0);
    for (const target of targets) {
      assert.ok(existsSync(join(unpacked, 'package', target)), `${target} is shipped`);
    }
    assert.equal(manifest.devDependencies, undefined);
    assert.equal(manifest.peerDependenciesMeta['ioredis']?.optional, true);
    assert.equal(manifest.peerDependenciesMeta['piscina']?.optional, true);
  });

  it('installs alone, without ioredis or piscina and without engine warnings', () => {
    assert.ok(existsSync(join(project, 'node_modules/jobdispatch/dist/index.js')));
    assert.equal(existsSync(join(project, 'node_modules/ioredis')), false);
    assert.equal(existsSync(join(project, 'node_modules/piscina')), false);
    assert.doesNotMatch(installOutput, /EBADENGINE/);
  });

  it("runs the README's quick start there", async () => {
    const readme = await readFile(join(root, 'README.md'), 'utf8');
    const match = /<!-- quick-start[^>]*-->\s*```ts\n([\s\S]*?)```/.exec(readme);
    assert.ok(match, 'the README has a quick-start block');
    const file = join(project, 'quick-start.mts');
    await writeFile(file, match[1]!);
    const { stdout } = await run(process.execPath, ['--import', tsxLoader, file], {
      cwd: project,
      timeout: 60_000,
    });
    assert.deepEqual(stdout.trim().split('\n'), [
      '3 plans for San Jose at price level 2',
      'completed',
    ]);
  });

  it('type-checks there without ioredis or piscina, with skipLibCheck off (the tsc default)', async () => {
    const readme = await readFile(join(root, 'README.md'), 'utf8');
    const match = /<!-- quick-start[^>]*-->\s*```ts\n([\s\S]*?)```/.exec(readme);
    assert.ok(match, 'the README has a quick-start block');
    const dir = join(project, 'typed');
    await run('mkdir', [dir]);
    await writeFile(join(dir, 'quick-start.mts'), match[1]!);
    await writeFile(
      join(dir, 'redis.mts'),
      [
        "import { RedisBackend, threadedHandler, type RedisBackendOptions } from 'jobdispatch';",
        "const options: RedisBackendOptions = { connection: { host: '127.0.0.1', port: 6379 }, queue: 'q' };",
        'export const backend = new RedisBackend(options);',
        "export const viaUrl = new RedisBackend({ url: 'redis://127.0.0.1:6379', queue: 'q' });",
        "export const handler = () => threadedHandler({ jobType: 'T', module: import.meta.url });",
        '',
      ].join('\n'),
    );
    await writeFile(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          // Node's own types, as any Node project has them; nothing else is installed there.
          typeRoots: [join(root, 'node_modules/@types')],
          types: ['node'],
        },
        files: ['quick-start.mts', 'redis.mts'],
      }),
    );
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const checked = await run(process.execPath, [tsc, '-p', dir], { cwd: dir, timeout: 120_000 })
      .then(() => '')
      .catch((error: Error & { stdout?: string }) => error.stdout || error.message);
    assert.equal(checked, '', 'tsc reports no error');
  });

  it('fails RedisBackend and threadedHandler with an error naming the missing package', async () => {
    const file = join(project, 'missing-peers.mjs');
    await writeFile(
      file,
      [
        "import { RedisBackend, threadedHandler } from 'jobdispatch';",
        'const out = {};',
        "try { await new RedisBackend({ queue: 'q' }).open(); out.redis = 'opened'; }",
        'catch (error) { out.redis = `${error.code}: ${error.message}`; }',
        "try { threadedHandler({ jobType: 'T', module: import.meta.url }); out.threads = 'made'; }",
        'catch (error) { out.threads = `${error.code}: ${error.message}`; }',
        'console.log(JSON.stringify(out));',
      ].join('\n'),
    );
    const { stdout } = await run(process.execPath, [file], { cwd: project, timeout: 30_000 });
    const out = JSON.parse(stdout) as { redis: string; threads: string };
    assert.match(
      out.redis,
      /^BACKEND_UNAVAILABLE: RedisBackend needs the package "ioredis".*npm install ioredis/,
    );
    assert.match(
      out.threads,
      /^INVALID_STATE: threadedHandler needs the package "piscina".*npm install piscina/,
    );
  });

  it('installs the jobdispatch command, and keeps prom-client and @opentelemetry/api optional', async () => {
    const bin = join(project, 'node_modules', '.bin', 'jobdispatch');
    const help = await run(bin, ['--help'], { cwd: project, timeout: 30_000 });
    assert.match(help.stdout, /^Usage: jobdispatch <command>/);
    // Without ioredis installed, a command that needs Redis says which package is missing (exit 5).
    const counts = await run(bin, ['counts', '--queue', 'q'], {
      cwd: project,
      timeout: 30_000,
    }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    assert.equal(counts.code, 5, counts.stderr);
    assert.match(counts.stderr, /needs the package "ioredis"/);
    const manifest = JSON.parse(
      await readFile(join(project, 'node_modules/jobdispatch/package.json'), 'utf8'),
    ) as { peerDependenciesMeta: Record<string, { optional?: boolean }> };
    assert.equal(manifest.peerDependenciesMeta['prom-client']?.optional, true);
    assert.equal(manifest.peerDependenciesMeta['@opentelemetry/api']?.optional, true);
    for (const [subpath, peer] of [
      ['jobdispatch/prometheus', 'prom-client'],
      ['jobdispatch/otel', '@opentelemetry/api'],
    ] as const) {
      const failed = await run(
        process.execPath,
        ['--input-type=module', '-e', `await import('${subpath}')`],
        {
          cwd: project,
          timeout: 30_000,
        },
      ).then(
        () => '',
        (error: { stderr: string }) => error.stderr,
      );
      assert.match(failed, new RegExp(`Cannot find package '${peer}'`), subpath);
    }
  });
});

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = prefix + entry.name;
    if (entry.isDirectory()) out.push(...(await listFiles(join(dir, entry.name), `${path}/`)));
    else out.push(path);
  }
  return out;
}
