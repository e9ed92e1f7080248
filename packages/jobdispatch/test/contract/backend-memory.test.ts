import { MemoryBackend } from '../../src/index.js';
import { runBackendContract } from './backend/index.js';

runBackendContract({
  name: 'MemoryBackend',
  make: (options) => Promise.resolve(new MemoryBackend(options)),
});
