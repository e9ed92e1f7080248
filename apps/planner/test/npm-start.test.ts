import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DATE } from './http-helpers.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
let child: ChildProcess | undefined;

after(async () => {
  if (child?.exitCode === null && child.pid !== undefined) {
    process.kill(-child.pid, 'SIGKILL');
    await once(child, 'exit');
  }
});

it('starts with `npm start` as a newcomer would, on a real port, and answers /v1/planning with plans', async () => {
  // The page scripts must come from this build, not an earlier one.
  rmSync(join(root, 'apps', 'planner', 'dist', 'client'), { recursive: true, force: true });
  child = spawn('npm', ['start'], {
    cwd: root,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, so the whole npm tree can be stopped
  });
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no "listening" line within 180 s:\n${output}`)),
      180_000,
    );
    child!.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /planner listening on (http:\/\/\S+)/.exec(output);
      if (match !== null && output.includes('admin token')) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child!.on('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${output}`)));
  });
  assert.match(output, /admin token \(generated/);
  const query = new URLSearchParams({
    location: 'San Jose, CA, USA',
    date: DATE,
    price: '2',
    numberResults: '2',
  });
  const response = await fetch(`${url}/v1/planning?${query.toString()}`);
  assert.equal(response.status, 200);
  const body = (await response.json()) as {
    travelPlans: { places: unknown[] }[];
    dataSource: string;
  };
  assert.equal(body.travelPlans.length, 2);
  assert.equal(body.travelPlans[0]?.places.length, 4);
  assert.equal(body.dataSource, 'sample');
  // `npm run build` bundled the dashboard's scripts, and the service serves them.
  const dashboard = await fetch(`${url}/dashboard`);
  assert.equal(dashboard.status, 200);
  assert.match(await dashboard.text(), /<script type="module" src="\/assets\/overview\.js">/);
  const script = await fetch(`${url}/assets/overview.js`);
  assert.equal(script.status, 200);
  assert.match(await script.text(), /\/v1\/dashboard\/overview\/stream/);
  process.kill(-child.pid!, 'SIGTERM');
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.ok(code === 0 || code === null, `stopped cleanly on SIGTERM (exit ${code})`);
});
