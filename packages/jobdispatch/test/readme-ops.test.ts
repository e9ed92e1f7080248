import assert from 'node:assert/strict';
import { it } from 'node:test';
import { runReadmeBlock } from './readme-blocks.js';

it("runs the README's metrics and tracing example as written, printing what its comments say", async () => {
  const run = await runReadmeBlock('ops-example');
  try {
    assert.deepEqual(run.printed, ["{ q: 'Lisbon' }", 'true']);
  } finally {
    await run.cleanup();
  }
});
