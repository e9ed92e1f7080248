import { after, describe } from 'node:test';
import { RedisBackend } from '../../src/index.js';
import { REDIS_URL, deleteQueues, randomQueue, redisSuite } from '../redis/redis-env.js';
import { runDispatcherContract } from './dispatcher-contract.js';

const queues = new Set<string>();

describe('RedisBackend', redisSuite(), () => {
  after(() => deleteQueues(queues));

  runDispatcherContract('RedisBackend', (options) => {
    const queue = randomQueue('contract');
    queues.add(queue);
    return new RedisBackend({ url: REDIS_URL, queue, ...options });
  });
});
