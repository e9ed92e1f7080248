/**
 * `GET /v1/jobs/:id/events` over a real port: every event carries its id, a dropped client that
 * reconnects with Last-Event-ID (or `?after=`) gets the rest, and across both connections it has
 * every event of the job exactly once, in order. Gates move the job on; nothing waits for time.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Dispatcher, type JobEvent, compareEventIds } from 'jobdispatch';
import { createApp } from '../src/app.js';
import { ADMIN_TOKEN } from './http-helpers.js';

function gate(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((res) => (resolve = res));
  return { promise, resolve };
}

interface SseItem {
  readonly id: string | undefined;
  readonly type: string;
  readonly data: Record<string, unknown>;
}

/** Parses SSE text: the events (comments and `retry:` apart). */
function parse(text: string): SseItem[] {
  const items: SseItem[] = [];
  for (const block of text.split('\n\n')) {
    const fields = new Map<string, string>();
    for (const line of block.split('\n')) {
      const at = line.indexOf(': ');
      if (at > 0) fields.set(line.slice(0, at), line.slice(at + 2));
    }
    const type = fields.get('event');
    if (type === undefined) continue;
    const data = JSON.parse(fields.get('data') ?? '{}') as Record<string, unknown>;
    items.push({ id: fields.get('id'), type, data });
  }
  return items;
}

/** Reads a stream until `until(text)` holds or it ends; returns the text read. */
async function readUntil(
  body: ReadableStream<Uint8Array>,
  until: (text: string) => boolean,
): Promise<{ text: string; reader: ReadableStreamDefaultReader<string> }> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  while (!until(text)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  return { text, reader };
}

describe('GET /v1/jobs/:id/events resumes after Last-Event-ID', () => {
  const gates = Array.from({ length: 6 }, gate);
  let dispatcher: Dispatcher;
  let base: string;
  let close: () => Promise<void>;
  before(async () => {
    dispatcher = new Dispatcher({ workers: 1 });
    dispatcher.register({
      jobType: 'Steps',
      async execute(_job, ctx) {
        for (let i = 0; i < gates.length; i++) {
          await gates[i]!.promise;
          await ctx.progress((i + 1) * 10);
        }
        return 'done';
      },
    });
    await dispatcher.start();
    const app = await createApp({ dispatcher, adminToken: ADMIN_TOKEN, sseHeartbeatMs: 20 });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    close = async () => {
      await app.close();
      await dispatcher.stop({ timeoutMs: 1000 });
    };
  });
  after(() => close());

  it('a client dropped mid-job and back with Last-Event-ID gets each event of the job once, in order', async () => {
    const job = await dispatcher.submit({ id: 'steps', name: 'Steps' });
    const truth: JobEvent[] = [];
    dispatcher.on('*', (event) => event.jobId === job.id && truth.push(event));

    const first = new AbortController();
    const one = await fetch(`${base}/v1/jobs/${job.id}/events`, { signal: first.signal });
    assert.equal(one.status, 200);
    // Idle after the status (the job waits on its gate): a heartbeat comes within its interval.
    const opened = readUntil(one.body!, (text) => /event: status[\s\S]*: heartbeat/.test(text));
    const { text: start, reader } = await opened;
    for (const gate of gates.slice(0, 3)) gate.resolve();
    let text = start;
    while (!text.includes('"percent":30')) {
      const { value, done } = await reader.read();
      assert.ok(done !== true, 'the first connection stays open');
      text += value;
    }
    first.abort(); // the client drops mid-job
    await reader.cancel().catch(() => undefined);
    const seenFirst = parse(text);
    assert.match(text, /^retry: \d+$/m, 'a retry hint');
    assert.match(text, /^: heartbeat$/m, 'heartbeat comments while idle');
    assert.ok(
      seenFirst.every((item) => item.id !== undefined),
      'every event has an id',
    );
    const lastId = seenFirst.at(-1)!.id!;

    // Meanwhile the job goes on: these events must be replayed on the reconnect.
    const forty = gate();
    const off = dispatcher.on('progress', (e) => e.progress?.percent === 50 && forty.resolve());
    gates[3]!.resolve();
    gates[4]!.resolve();
    await forty.promise;
    off();

    const two = await fetch(`${base}/v1/jobs/${job.id}/events`, {
      headers: { 'last-event-id': lastId },
    });
    assert.equal(two.status, 200);
    gates[5]!.resolve();
    const { text: rest } = await readUntil(two.body!, () => false); // until the stream ends
    const seenSecond = parse(rest);
    assert.equal(seenSecond.at(-1)?.type, 'completed', 'the stream ends with the final event');

    const status = seenFirst[0]!;
    assert.equal(status.type, 'status');
    const received = [...seenFirst.slice(1), ...seenSecond].map(
      (item) => `${item.id} ${item.type}`,
    );
    const expected = truth
      .filter((event) => compareEventIds(event.id, status.id!) > 0)
      .map((event) => `${event.id} ${event.type}`);
    assert.deepEqual(received, expected, 'the job events after the status, once each, in order');
    assert.ok(seenSecond.some((item) => item.type === 'progress' && item.data['progress']));

    // ?after= resumes the same way (here from the first progress: the rest, to the end).
    const from = seenFirst.find((item) => item.type === 'progress')!.id!;
    const three = await fetch(`${base}/v1/jobs/${job.id}/events?after=${from}`);
    const { text: replay } = await readUntil(three.body!, () => false);
    assert.deepEqual(
      parse(replay).map((item) => `${item.id} ${item.type}`),
      expected.slice(expected.findIndex((line) => line.startsWith(`${from} `)) + 1),
    );
    // A client that saw the final event already just gets the end of the stream.
    const four = await fetch(`${base}/v1/jobs/${job.id}/events`, {
      headers: { 'last-event-id': truth.at(-1)!.id },
    });
    assert.deepEqual(parse((await readUntil(four.body!, () => false)).text), []);
  });

  it('an unknown job is a 404 before the stream opens, resuming or not; a bad id is a 400', async () => {
    const plain = await fetch(`${base}/v1/jobs/nobody/events`);
    assert.equal(plain.status, 404);
    assert.match(plain.headers.get('content-type') ?? '', /json/);
    const resumed = await fetch(`${base}/v1/jobs/nobody/events`, {
      headers: { 'last-event-id': '0000000000000001' },
    });
    assert.equal(resumed.status, 404);
    const bad = await fetch(`${base}/v1/jobs/steps/events?after=yesterday`);
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /after must be an event id/);
  });
});
