/** Errors crossing from a handler thread: any thrown value is described, never rethrown. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { serializeError } from '../../src/threads/protocol.js';
import { POISON } from '../poison.js';

describe('serializing a thrown value on a thread', () => {
  for (const [what, make] of Object.entries(POISON)) {
    it(`describes ${what} without throwing`, () => {
      const serialized = serializeError(make());
      assert.equal(typeof serialized.message, 'string');
      assert.equal(typeof serialized.name, 'string');
    });
  }
});
