import { MemoryBackend } from '../../src/index.js';
import { runDispatcherContract } from './dispatcher-contract.js';

runDispatcherContract('MemoryBackend', (options) => new MemoryBackend(options));
