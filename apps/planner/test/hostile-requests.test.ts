/**
 * Requests an attacker would send: numbers that are not numbers, bodies nested 5,000 deep or 16 KB
 * long, admin routes without a token, and clients that send slowly or not at all (on a real port).
 */
import assert from 'node:assert/strict';
import { type Socket, connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Dispatcher } from 'jobdispatch';
import { createApp } from '../src/app.js';
import { MAX_MESSAGE_LENGTH } from '../src/echo.js';
import type { Service } from '../src/service.js';
import { ADMIN_TOKEN, planningUrl, startTestService } from './http-helpers.js';

const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

describe('hostile requests', () => {
  let service: Service;
  before(async () => {
    service = await startTestService();
  });
  after(() => service.close());

  const plan = (params: Record<string, string>) =>
    service.app.inject(planningUrl({ location: 'San Jose, CA, USA', price: '2', ...params }));

  for (const price of [
    'Infinity',
    '-Infinity',
    '1e400',
    '9'.repeat(400),
    '0x1',
    '1e0',
    '+1',
    ' 1',
    '1.0',
    '0b1',
  ]) {
    it(`rejects price=${price.slice(0, 12)} with a 400 naming price and its limits`, async () => {
      const response = await plan({ price });
      assert.equal(response.statusCode, 400, response.body);
      const { error } = response.json<{ error: { code: string; message: string } }>();
      assert.match(error.message, /^price must be an integer 0-4 /);
    });
  }

  it('rejects numberResults=Infinity naming numberResults and its real limit, 1-20', async () => {
    const response = await plan({ numberResults: 'Infinity' });
    assert.equal(response.statusCode, 400, response.body);
    assert.match(
      response.json<{ error: { message: string } }>().error.message,
      /^numberResults must be an integer 1-20 /,
    );
  });

  it('still accepts plain decimal numbers at the limits', async () => {
    for (const price of ['0', '4']) {
      const response = await plan({ price, numberResults: '20' });
      assert.equal(response.statusCode, 200, response.body);
    }
  });

  for (const windowHours of ['"0x10"', '"Infinity"', '1e400', '"1e1"']) {
    it(`rejects an analytics body with windowHours ${windowHours} naming windowHours`, async () => {
      const response = await service.app.inject({
        method: 'POST',
        url: '/v1/analytics',
        headers: { ...auth, 'content-type': 'application/json' },
        payload: `{"windowHours":${windowHours}}`,
      });
      assert.equal(response.statusCode, 400, response.body);
      assert.match(
        response.json<{ error: { message: string } }>().error.message,
        /^windowHours must be an integer 1-168 /,
      );
    });
  }

  const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;

  it('answers 401, not a 500 or a 400, to a 5000-deep body on an admin route without a token', async () => {
    const response = await service.app.inject({
      method: 'POST',
      url: '/v1/analytics',
      headers: { 'content-type': 'application/json' },
      payload: deep,
    });
    assert.equal(response.statusCode, 401, response.body);
  });

  it('answers a bounded 400 to a 5000-deep body with the token', async () => {
    const response = await service.app.inject({
      method: 'POST',
      url: '/v1/analytics',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: deep,
    });
    assert.equal(response.statusCode, 400, response.body);
    assert.ok(response.body.length < 1000, `the answer is ${response.body.length} bytes`);
  });

  for (const [what, url, payload, field] of [
    ['a number', '/v1/analytics', { topCities: 'x'.repeat(15_000) }, 'topCities'],
    ['a string', '/v1/queue/pause', { name: 'x'.repeat(15_000) }, 'name'],
    ['a parameter name', '/v1/queue/pause', { ['x'.repeat(15_000)]: 1 }, 'body'],
    ['an integer', '/v1/jobs/some-id/priority', { priority: ['x'.repeat(15_000)] }, 'priority'],
  ] as const) {
    it(`does not echo a 15 KB value back in a 400 (${what})`, async () => {
      const response = await service.app.inject({
        method: 'POST',
        url,
        headers: { ...auth, 'content-type': 'application/json' },
        payload: JSON.stringify(payload),
      });
      assert.equal(response.statusCode, 400, response.body);
      const { message } = response.json<{ error: { message: string } }>().error;
      assert.ok(
        message.length <= MAX_MESSAGE_LENGTH,
        `the message is ${message.length} characters`,
      );
      assert.ok(message.startsWith(`${field} `), message);
    });
  }

  it('answers a router-level error in the service error format, without echoing the URL', async () => {
    for (const url of [`/v1/jobs/${'x'.repeat(300)}`, '/v1/jobs/%E0%A4%A']) {
      const response = await service.app.inject(url);
      assert.ok(response.statusCode >= 400 && response.statusCode < 500, response.body);
      const { error } = response.json<{ error: { code: string; message: string } }>();
      assert.equal(typeof error.code, 'string');
      assert.ok(!error.message.includes('xxxxxxxxxx'), error.message);
    }
  });

  it('answers 401 to a junk body on every admin route without a token', async () => {
    const routes: ['POST' | 'DELETE', string][] = [
      ['POST', '/v1/analytics'],
      ['POST', '/v1/queue/pause'],
      ['POST', '/v1/queue/resume'],
      ['POST', '/v1/jobs/retry-failed'],
      ['POST', '/v1/jobs/some-id/retry'],
      ['POST', '/v1/jobs/some-id/cancel'],
      ['POST', '/v1/jobs/some-id/priority'],
      ['DELETE', '/v1/jobs/some-id'],
    ];
    for (const [method, url] of routes) {
      for (const payload of [deep, '{not json', '{"priority":"0x1","extra":1}']) {
        const response = await service.app.inject({
          method,
          url,
          headers: { 'content-type': 'application/json' },
          payload,
        });
        assert.equal(response.statusCode, 401, `${method} ${url}: ${response.body.slice(0, 200)}`);
      }
    }
  });

  it('redirects the docs page asked with a query string to the page, not to itself', async () => {
    for (const url of ['/docs/static/index.html?a=1', '/docs/static/index.html?x=%5C&y']) {
      const response = await service.app.inject(url);
      assert.equal(response.statusCode, 302, response.body);
      assert.equal(response.headers.location, '/docs/');
    }
    assert.equal((await service.app.inject('/docs/')).statusCode, 200);
  });

  it('answers 401 before validating the params or the body of an admin route', async () => {
    const cases = [
      { method: 'POST' as const, url: `/v1/jobs/${'x'.repeat(150)}/cancel` },
      {
        method: 'POST' as const,
        url: '/v1/analytics',
        payload: '{not json',
        headers: { 'content-type': 'application/json' },
      },
      {
        method: 'POST' as const,
        url: '/v1/analytics',
        payload: '{"extra":1}',
        headers: { 'content-type': 'application/json' },
      },
    ];
    for (const request of cases) {
      const response = await service.app.inject(request);
      assert.equal(response.statusCode, 401, `${request.url}: ${response.body}`);
    }
  });
});

/** Opens a raw TCP connection, sends `data`, and resolves when the server closes it, with what it sent. */
function rawClient(port: number, data: string): { socket: Socket; closed: Promise<string> } {
  const socket = connect(port, '127.0.0.1');
  let received = '';
  socket.on('data', (chunk) => (received += chunk.toString()));
  socket.on('error', () => undefined);
  socket.write(data);
  const closed = new Promise<string>((resolve) => socket.on('close', () => resolve(received)));
  return { socket, closed };
}

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, limit]);
  } finally {
    clearTimeout(timer);
  }
}

describe('slow and idle clients on a real port', () => {
  let dispatcher: Dispatcher;
  let app: Awaited<ReturnType<typeof createApp>>;
  let port: number;
  before(async () => {
    dispatcher = new Dispatcher({ workers: 0 });
    app = await createApp({
      dispatcher,
      adminToken: ADMIN_TOKEN,
      limits: {
        requestTimeoutMs: 500,
        headersTimeoutMs: 500,
        checkIntervalMs: 100,
        maxConnections: 20,
      },
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as { port: number }).port;
  });
  after(async () => {
    await app.close();
    await dispatcher.stop({ timeoutMs: 0 });
  });

  it('closes a request that sends 2 bytes of a 10-byte body, with a 408', async () => {
    const { closed } = rawClient(
      port,
      `POST /v1/analytics HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\n` +
        'Content-Type: application/json\r\nContent-Length: 10\r\n\r\n{"',
    );
    const answer = await within(closed, 10_000, 'the server closing the slow request');
    assert.match(answer, /^HTTP\/1\.1 408/);
  });

  it('closes a connection whose headers never end', async () => {
    const { closed } = rawClient(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n');
    await within(closed, 10_000, 'the server closing the unfinished headers');
  });

  it('closes a connection that sends nothing', async () => {
    const { closed } = rawClient(port, '');
    await within(closed, 10_000, 'the server closing the silent connection');
  });

  it('closes connections beyond maxConnections at once, and serves again once they are gone', async () => {
    const held = Array.from({ length: 20 }, () =>
      rawClient(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n'),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    const extra = rawClient(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    const answer = await within(extra.closed, 5000, 'the connection over the cap closing');
    assert.equal(answer, '', 'the connection over the cap got no answer');
    for (const client of held) client.socket.destroy();
    await Promise.all(held.map((client) => client.closed));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const response = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.equal(response.status, 200);
  });
});

describe('closing with open streams', () => {
  it('closes the service by its deadline while SSE streams on a queued job are open', async () => {
    const service = await startTestService({ http: true, port: 0, host: '127.0.0.1', workers: 0 });
    const job = await service.dispatcher.submit({ name: 'Analytics' });
    const streams = await Promise.all(
      Array.from({ length: 5 }, () => fetch(`${service.url!}/v1/jobs/${job.id}/events`)),
    );
    for (const stream of streams) assert.equal(stream.status, 200);
    await within(service.close(), 15_000, 'service.close() with open streams');
    for (const stream of streams) await stream.body?.cancel().catch(() => undefined);
  });
});

describe('clients that leave at once', () => {
  it('leaves no event listener behind when dashboard overview streams close 0-50 ms after sending', async () => {
    const service = await startTestService({ http: true, port: 0, host: '127.0.0.1', workers: 0 });
    try {
      const hub = (service.dispatcher as unknown as { hub: { size: number } }).hub;
      const port = Number(new URL(service.url!).port);
      const baseline = hub.size;
      const clients = Array.from({ length: 100 }, (_, i) => {
        const { socket, closed } = rawClient(
          port,
          'GET /v1/dashboard/overview/stream HTTP/1.1\r\nHost: x\r\n\r\n',
        );
        setTimeout(() => socket.destroy(), i % 51);
        return closed;
      });
      await Promise.all(clients);
      // A request may be handled after its client left: wait until the server closed every
      // socket and the count stayed at the baseline for a second.
      const connections = (): Promise<number> =>
        new Promise((resolve) => service.app.server.getConnections((_e, count) => resolve(count)));
      const until = Date.now() + 20_000;
      let steadySince = Date.now();
      while (Date.now() < until) {
        if ((await connections()) > 0 || hub.size !== baseline) steadySince = Date.now();
        else if (Date.now() - steadySince >= 1000) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(hub.size, baseline, 'every overview stream of a client that left was closed');
    } finally {
      await service.close();
    }
  });
});
