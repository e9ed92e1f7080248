import { after, describe } from 'node:test';
import { RedisBackend } from '../../src/index.js';
import { REDIS_URL, deleteQueues, randomQueue, redisSuite } from '../redis/redis-env.js';
import { runBackendContract } from './backend/index.js';

const queues = new Set<string>();

describe('RedisBackend', redisSuite(), () => {
  after(() => deleteQueues(queues));

  runBackendContract({
    name: 'RedisBackend',
    make: (options) => {
      const queue = randomQueue('backend-contract');
      queues.add(queue);
      return Promise.resolve(new RedisBackend({ url: REDIS_URL, queue, ...options }));
    },
  });
});
