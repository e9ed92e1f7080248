/**
 * piscina, loaded when the first threaded handler is made (an optional peer dependency: a user of
 * in-process handlers installs nothing). Loaded with `require()`, synchronously, so
 * `threadedHandler()` fails at once, naming the package, when it is missing.
 */
import { createRequire } from 'node:module';
import type { Piscina } from 'piscina';
import { missingPeer } from '../optional-peer.js';

let loaded: typeof Piscina | undefined;

export function loadPiscina(): typeof Piscina {
  if (loaded !== undefined) return loaded;
  try {
    const module = createRequire(import.meta.url)('piscina') as { Piscina: typeof Piscina };
    loaded = module.Piscina;
    return loaded;
  } catch (cause) {
    throw missingPeer('piscina', 'threadedHandler', cause, 'INVALID_STATE');
  }
}
