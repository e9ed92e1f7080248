/**
 * A local HTTP stub of a place provider on a real loopback port: it answers each request with
 * what the test's `answer` function returns (a status and a JSON or text body, possibly after a
 * delay, or never), and records every request it got (path, headers, body). Never the network.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StubRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface StubAnswer {
  readonly status?: number;
  readonly json?: unknown;
  readonly text?: string;
  /** Milliseconds before answering. */
  readonly delayMs?: number;
  /** Never answer (the client's deadline must end the call). */
  readonly hang?: boolean;
}

export interface ProviderStub {
  readonly url: string;
  readonly requests: StubRequest[];
  /** Calls being answered right now, and the most seen at once. */
  readonly concurrency: { now: number; max: number };
  answer: (request: StubRequest) => StubAnswer;
  close(): Promise<void>;
}

export async function startProviderStub(
  answer: (request: StubRequest) => StubAnswer,
): Promise<ProviderStub> {
  const requests: StubRequest[] = [];
  const concurrency = { now: 0, max: 0 };
  const stub: { answer: (request: StubRequest) => StubAnswer } = { answer };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: StubRequest = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(request);
      concurrency.now++;
      concurrency.max = Math.max(concurrency.max, concurrency.now);
      const reply = stub.answer(request);
      const send = (): void => {
        concurrency.now--;
        const body = reply.text ?? JSON.stringify(reply.json ?? {});
        res.writeHead(reply.status ?? 200, {
          'content-type': reply.text === undefined ? 'application/json' : 'text/html',
        });
        res.end(body);
      };
      if (reply.hang === true) {
        res.on('close', () => concurrency.now--);
        return;
      }
      if (reply.delayMs !== undefined) setTimeout(send, reply.delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    concurrency,
    get answer() {
      return stub.answer;
    },
    set answer(next) {
      stub.answer = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The `data=` query of an Overpass POST body. */
export function overpassQueryOf(request: StubRequest): string {
  return new URLSearchParams(request.body).get('data') ?? '';
}
