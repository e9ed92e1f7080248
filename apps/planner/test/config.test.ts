import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadConfig } from '../src/config.js';

describe('configuration from the environment', () => {
  it('has the documented defaults: port 8080, 10 workers, in-memory backend, sample catalog', () => {
    const config = loadConfig({});
    assert.equal(config.port, 8080);
    assert.equal(config.workers, 10);
    assert.equal(config.redisUrl, undefined);
    assert.equal(config.placesFile, undefined);
    assert.equal(config.adminTokenGenerated, true);
    assert.ok(config.adminToken.length >= 16);
  });

  it('rejects a bad value naming the variable, the rule and the value', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ PORT: 'eighty' }, /PORT must be an integer 0-65535, got "eighty"/],
      [{ WORKERS: '-1' }, /WORKERS must be an integer 0-1000, got "-1"/],
      [
        { REDIS_URL: 'localhost:6379' },
        /REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL, got "localhost:6379"/,
      ],
      [{ ADMIN_TOKEN: 'short' }, /ADMIN_TOKEN must be at least 16 characters, got 5/],
      [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of .*got "loud"/],
      [{ QUEUE: 'a{b}' }, /QUEUE must be 1-64 letters.*got "a\{b\}"/],
    ];
    for (const [env, message] of cases) assert.throws(() => loadConfig(env), message);
  });

  it('stops the start with exit code 1 and the message when a value is bad', async () => {
    const main = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'main.ts');
    const run = promisify(execFile)(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', main],
      {
        env: { ...process.env, PORT: '99999' },
      },
    );
    await assert.rejects(run, (error: { code?: number; stderr?: string }) => {
      assert.equal(error.code, 1);
      assert.match(
        error.stderr ?? '',
        /configuration error: PORT must be an integer 0-65535, got "99999"/,
      );
      return true;
    });
  });
});
