/**
 * A bounded, seeded HTTP fuzzer over every route, on a real port: a few thousand requests with
 * hostile parameters (non-decimal and non-finite numbers, huge and deeply nested bodies, bad JSON,
 * wrong types, unknown parameters, odd methods and tokens). What must hold for each: an answer
 * (no hang: each request has a bound), never a 5xx, and every 400 names the parameter at fault.
 *
 * FUZZ_SEED and FUZZ_RUNS override the seed and the count; a failure prints the seed and the
 * shrunk request, so it can be replayed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { Service } from '../src/service.js';
import { ADMIN_TOKEN, DATE, startTestService } from './http-helpers.js';

const SEED = Number(process.env['FUZZ_SEED'] ?? 20261201);
const RUNS = Number(process.env['FUZZ_RUNS'] ?? 3000);
/** No request may take longer (a valid planning request answers 202 after requestTimeoutMs). */
const REQUEST_BOUND_MS = 15_000;

interface FuzzRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
  /** Names a 400 from this route may blame. */
  readonly names: readonly string[];
  /** A stream that never ends by itself (the dashboard overview): read its head, then leave. */
  readonly stream?: boolean;
}

/** Strings an attacker tries for a number. */
const hostileNumber = fc.oneof(
  fc.constantFrom(
    'Infinity',
    '-Infinity',
    'NaN',
    '1e400',
    '9'.repeat(400),
    '0x1',
    '0b1',
    '0o7',
    '1e0',
    '+1',
    ' 1',
    '1 ',
    '1.0',
    '1.5',
    '-0',
    '',
    'null',
    'true',
    '[]',
    '{}',
    '２',
    '1_000',
  ),
  fc.integer({ min: -1000, max: 1000 }).map(String),
  fc.double().map(String),
  fc.string({ maxLength: 12 }),
);

const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom(
    'San Jose, CA, USA',
    'Paris, France',
    '-121.89,37.33',
    'Nowhere at all',
    '%',
    '\u0000',
  ),
  fc.nat({ max: 5000 }).map((n) => 'x'.repeat(n)),
);

const date = fc.oneof(
  fc.constant(DATE),
  fc.constantFrom('2000-01-01', '2999-12-31', '2026-02-30', 'tomorrow', '', '9'.repeat(300)),
  fc.string({ maxLength: 12 }),
);

const bool = fc.oneof(
  fc.constantFrom('true', 'false', '1', '0', 'yes', ''),
  fc.string({ maxLength: 5 }),
);

/** A query string from optional parameters, sometimes repeated or unknown. */
function query(params: Record<string, fc.Arbitrary<string>>): fc.Arbitrary<string> {
  const entries = Object.entries(params).map(([name, value]) =>
    fc.option(
      fc.oneof(
        { weight: 6, arbitrary: value.map((v): [string, string][] => [[name, v]]) },
        {
          weight: 1,
          arbitrary: fc.tuple(value, value).map(([a, b]): [string, string][] => [
            [name, a],
            [name, b],
          ]),
        },
      ),
      { freq: 4, nil: undefined },
    ),
  );
  const unknown = fc.option(
    fc.tuple(fc.string({ minLength: 1, maxLength: 10 }), fc.string({ maxLength: 10 })),
    { freq: 8, nil: undefined },
  );
  return fc.tuple(fc.tuple(...entries), unknown).map(([chosen, extra]) => {
    const pairs = chosen.flatMap((pair) => pair ?? []);
    if (extra !== undefined) pairs.push(extra);
    return new URLSearchParams(pairs).toString();
  });
}

const nested = fc.nat({ max: 6000 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`);

const jsonBody = fc.oneof(
  fc
    .record(
      {
        windowHours: fc.oneof(fc.jsonValue(), hostileNumber),
        topCities: fc.oneof(fc.jsonValue(), hostileNumber),
      },
      { requiredKeys: [] },
    )
    .map((value) => JSON.stringify(value)),
  fc
    .record({ windowHours: hostileNumber })
    .map(({ windowHours }) => `{"windowHours":${windowHours}}`),
  fc.jsonValue().map((value) => JSON.stringify(value)),
  nested,
  fc.string({ maxLength: 30 }),
  fc.constantFrom(
    '',
    'null',
    '{',
    '{"a":',
    '[1,2',
    '"x"',
    JSON.stringify({ s: 'x'.repeat(15_000) }),
  ),
);

const token = fc.constantFrom(
  { authorization: `Bearer ${ADMIN_TOKEN}` },
  {},
  { authorization: 'Bearer wrong' },
  { authorization: `Bearer ${ADMIN_TOKEN}x` },
  { authorization: '' },
  { authorization: `bearer ${ADMIN_TOKEN}` },
);

const contentType = fc.constantFrom(
  { 'content-type': 'application/json' },
  {},
  { 'content-type': 'text/plain' },
  { 'content-type': 'application/json; charset=utf-8' },
  { 'content-type': 'multipart/form-data' },
);

function requests(jobIds: readonly string[]): fc.Arbitrary<FuzzRequest> {
  const id = fc.oneof(
    fc.constantFrom(...jobIds),
    fc.string({ minLength: 1, maxLength: 40 }).map(encodeURIComponent),
    fc.nat({ max: 400 }).map((n) => 'x'.repeat(n + 1)),
    fc.constantFrom('%E0%A4%A', '..', '%00', '%2F'),
  );
  const planning = query({
    location: text,
    date,
    price: fc.oneof(fc.constantFrom('0', '1', '2', '3', '4'), hostileNumber),
    numberResults: fc.oneof(fc.constantFrom('1', '5', '20'), hostileNumber),
    nearby: bool,
    precise: bool,
  }).map((q): FuzzRequest => ({
    method: 'GET',
    path: `/v1/planning?${q}`,
    headers: {},
    names: ['location', 'date', 'price', 'numberResults', 'nearby', 'precise', 'querystring'],
  }));
  const analytics = fc
    .tuple(token, contentType, jsonBody)
    .map(([auth, type, body]): FuzzRequest => ({
      method: 'POST',
      path: '/v1/analytics',
      headers: { ...auth, ...type },
      body,
      names: ['windowHours', 'topCities', 'body', 'JSON', 'Content-Type', 'content-type'],
    }));
  const jobs = fc
    .tuple(id, fc.constantFrom('', '/events', '/cancel'), token)
    .map(([jobId, tail, auth]): FuzzRequest => ({
      method: tail === '/cancel' ? 'POST' : 'GET',
      path: `/v1/jobs/${jobId}${tail}`,
      headers: auth,
      names: ['id', 'params', 'path parameter', 'request URL'],
    }));
  const fixed = fc
    .tuple(
      fc.constantFrom(
        '/v1/queue/stats',
        '/healthz',
        '/readyz',
        '/docs',
        '/',
        '/dashboard',
        '/v1/analytics/latest',
        '/nope',
      ),
      fc.constantFrom('GET', 'GET', 'GET', 'POST', 'DELETE', 'PUT', 'OPTIONS', 'HEAD', 'PATCH'),
      query({ a: text }),
    )
    .map(([path, method, q]): FuzzRequest => ({
      method,
      path: q === '' ? path : `${path}?${q}`,
      headers: {},
      names: ['querystring'],
    }));
  const statuses = fc.oneof(
    fc.constantFrom('queued', 'running', 'failed', 'completed,cancelled', 'scheduled'),
    fc.constantFrom('done', 'queued,', ',', 'QUEUED', 'failed, nope'),
    fc.string({ maxLength: 20 }),
  );
  const list = query({
    status: statuses,
    name: fc.oneof(fc.constantFrom('Planning', 'Analytics'), text),
    limit: fc.oneof(fc.constantFrom('1', '50', '500'), hostileNumber),
    cursor: fc.oneof(text, fc.base64String({ maxLength: 60 })),
  }).map((q): FuzzRequest => ({
    method: 'GET',
    path: q === '' ? '/v1/jobs' : `/v1/jobs?${q}`,
    headers: {},
    names: ['status', 'name', 'limit', 'cursor', 'querystring'],
  }));
  const counts = query({ name: text }).map((q): FuzzRequest => ({
    method: 'GET',
    path: q === '' ? '/v1/queue/counts' : `/v1/queue/counts?${q}`,
    headers: {},
    names: ['name', 'querystring'],
  }));
  /** A body with one named field: a fitting value, a hostile one, or something else entirely. */
  const fieldBody = (field: string, fitting: fc.Arbitrary<unknown>): fc.Arbitrary<string> =>
    fc.oneof(
      fc.oneof(fitting, fc.jsonValue(), text).map((value) => JSON.stringify({ [field]: value })),
      hostileNumber.map((value) => `{"${field}":${value}}`),
      jsonBody,
    );
  const bodyNames = ['body', 'JSON', 'Content-Type', 'content-type'];
  const admin = fc
    .tuple(
      fc.constantFrom(
        ['POST', '/v1/queue/pause', 'name'],
        ['POST', '/v1/queue/resume', 'name'],
        ['POST', '/v1/jobs/retry-failed', 'name'],
      ),
      token,
      contentType,
      fc.constantFrom('Planning', 'Analytics', 'Nothing'),
    )
    .chain(([[method, path, field], auth, type, name]) =>
      fieldBody(field, fc.constant(name)).map((body): FuzzRequest => ({
        method,
        path,
        headers: { ...auth, ...type },
        body,
        names: [field, ...bodyNames],
      })),
    );
  const jobAdmin = fc
    .tuple(id, token, contentType, fc.constantFrom('retry', 'priority', 'delete'))
    .chain(([jobId, auth, type, action]) =>
      fieldBody('priority', fc.integer({ min: -1, max: 3 })).map((body): FuzzRequest =>
        action === 'delete'
          ? {
              method: 'DELETE',
              path: `/v1/jobs/${jobId}`,
              headers: auth,
              names: ['id', 'params', 'path parameter', 'request URL'],
            }
          : {
              method: 'POST',
              path: `/v1/jobs/${jobId}/${action}`,
              headers: { ...auth, ...type },
              ...(action === 'priority' && { body }),
              names: ['id', 'priority', 'params', 'path parameter', 'request URL', ...bodyNames],
            },
      ),
    );
  const resume = fc
    .tuple(
      fc.constantFrom(...jobIds),
      fc.oneof(
        fc.constantFrom('0-0', '1-1', '99999999999999-0', '1', '0001'),
        fc.constantFrom('-1', '1-', 'a-b', '1-2-3', '9'.repeat(30), ''),
        fc.string({ maxLength: 30 }),
      ),
      fc.boolean(),
    )
    .map(([jobId, after, asHeader]): FuzzRequest => {
      const header = asHeader && /^[\x20-\x7e]*$/.test(after);
      return {
        method: 'GET',
        path: header
          ? `/v1/jobs/${jobId}/events`
          : `/v1/jobs/${jobId}/events?${new URLSearchParams({ after }).toString()}`,
        headers: header ? { 'last-event-id': after } : {},
        names: ['after', 'Last-Event-ID', 'querystring'],
      };
    });
  const pages = fc
    .tuple(
      fc.oneof(
        fc.constantFrom(
          '/v1/dashboard/overview',
          '/metrics',
          '/docs/json',
          '/docs/yaml',
          '/docs/static/index.html',
          '/dashboard/jobs',
          '/favicon.svg',
          '/favicon.ico',
        ),
        id.map((jobId) => `/v1/dashboard/jobs/${jobId}`),
        id.map((jobId) => `/dashboard/jobs/${jobId}`),
      ),
      fc.constantFrom('GET', 'GET', 'HEAD', 'POST'),
      query({ a: text }),
    )
    .map(([path, method, q]): FuzzRequest => ({
      method,
      path: q === '' ? path : `${path}?${q}`,
      headers: {},
      names: ['id', 'params', 'path parameter', 'request URL', 'querystring'],
    }));
  const overviewStream = query({ a: text }).map((q): FuzzRequest => ({
    method: 'GET',
    path: q === '' ? '/v1/dashboard/overview/stream' : `/v1/dashboard/overview/stream?${q}`,
    headers: {},
    names: ['querystring'],
    stream: true,
  }));
  return fc.oneof(
    { weight: 4, arbitrary: planning },
    { weight: 3, arbitrary: analytics },
    { weight: 3, arbitrary: jobs },
    { weight: 2, arbitrary: list },
    { weight: 1, arbitrary: counts },
    { weight: 2, arbitrary: admin },
    { weight: 2, arbitrary: jobAdmin },
    { weight: 1, arbitrary: resume },
    { weight: 1, arbitrary: pages },
    { weight: 1, arbitrary: overviewStream },
    { weight: 1, arbitrary: fixed },
  );
}

/** The first chunk of a streamed answer; then the stream is left (its server side must close). */
async function firstChunk(response: Response): Promise<string> {
  assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const { value } = await reader.read();
  await reader.cancel();
  return value ?? '';
}

describe('HTTP fuzzing', () => {
  let service: Service;
  const jobIds: string[] = [];
  before(async () => {
    service = await startTestService({
      http: true,
      port: 0,
      host: '127.0.0.1',
      requestTimeoutMs: 2000,
    });
    // A finished job, so that its SSE stream ends at once, and a queued-then-cancelled one.
    const done = await service.dispatcher.submit({ name: 'Analytics' });
    await service.dispatcher.wait(done.id).catch(() => undefined);
    const cancelled = await service.dispatcher.submit({ name: 'Unknown type' });
    await service.dispatcher.wait(cancelled.id).catch(() => undefined);
    jobIds.push(done.id, cancelled.id);
  });
  after(() => service.close());

  it(
    `answers ${RUNS} seeded hostile requests over every route with no 5xx, no hang, and 400s that name a parameter`,
    { timeout: 600_000 },
    async () => {
      const statuses = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(requests(jobIds), async (request) => {
          const response = await fetch(`${service.url!}${request.path}`, {
            method: request.method,
            headers: request.headers,
            ...(request.body !== undefined && request.method !== 'GET' && { body: request.body }),
            signal: AbortSignal.timeout(REQUEST_BOUND_MS),
          });
          const body =
            request.stream === true && response.status === 200
              ? await firstChunk(response)
              : await response.text();
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          assert.ok(response.status < 500, `${response.status}: ${body.slice(0, 300)}`);
          if (response.status === 400 && request.method !== 'HEAD') {
            const { message } = (JSON.parse(body) as { error: { message: string } }).error;
            assert.ok(
              request.names.some((name) => message.includes(name)),
              `the 400 names none of ${request.names.join(', ')}: ${message}`,
            );
            assert.ok(message.length <= 500, `a ${message.length}-character message`);
          }
        }),
        { seed: SEED, numRuns: RUNS, endOnFailure: true },
      );
      console.log(
        `fuzz: seed ${SEED}, ${RUNS} requests, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`,
      );
    },
  );
});
