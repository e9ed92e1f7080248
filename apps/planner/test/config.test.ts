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
    assert.equal(config.places.provider, 'sample');
  });

  it('chooses the place provider and its endpoint, key and limits', () => {
    const config = loadConfig({
      PLACES_PROVIDER: 'overpass',
      OVERPASS_URL: 'http://127.0.0.1:9/api/interpreter',
      PLACES_TIMEOUT_MS: '2500',
      PLACES_MAX_CONCURRENT: '3',
      PLACES_PER_SECOND: '4',
      SOLUTION_CACHE_MB: '8',
    });
    assert.equal(config.places.provider, 'overpass');
    assert.equal(config.places.overpassUrl, 'http://127.0.0.1:9/api/interpreter');
    assert.deepEqual(
      [config.places.timeoutMs, config.places.maxConcurrent, config.places.perSecond],
      [2500, 3, 4],
    );
    assert.equal(config.solutionCacheBytes, 8 * 1024 * 1024);
    assert.equal(loadConfig({ PLACES_FILE: 'places.csv' }).places.provider, 'file');
    assert.equal(loadConfig({ GOOGLE_PLACES_API_KEY: 'k' }).places.provider, 'google');
    assert.equal(
      loadConfig({ PLACES_PROVIDER: 'overpass', GOOGLE_PLACES_API_KEY: 'k' }).places.provider,
      'overpass',
    );
    const google = loadConfig({ PLACES_PROVIDER: 'google', GOOGLE_PLACES_API_KEY: 'k' });
    assert.equal(google.places.googleApiKey, 'k');
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
      [{ PORT: '0x10' }, /PORT must be an integer 0-65535, got "0x10"/],
      [
        { PLACES_PROVIDER: 'bing' },
        /PLACES_PROVIDER must be one of sample, file, overpass, google, got "bing"/,
      ],
      [
        { OVERPASS_URL: 'ftp://x' },
        /OVERPASS_URL must be an http:\/\/ or https:\/\/ URL, got "ftp:\/\/x"/,
      ],
      [
        { PLACES_PROVIDER: 'google' },
        /GOOGLE_PLACES_API_KEY must be set when PLACES_PROVIDER=google/,
      ],
      [{ PLACES_PROVIDER: 'file' }, /PLACES_FILE must be set when PLACES_PROVIDER=file/],
      [{ PLACES_PER_SECOND: '0' }, /PLACES_PER_SECOND must be an integer 1-1000, got "0"/],
      [
        { PLACES_PROVIDER: 'overpass', WORKERS: '1' },
        /WORKERS must be 0 or at least 2 when PLACES_PROVIDER=overpass .*got "1"/,
      ],
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
