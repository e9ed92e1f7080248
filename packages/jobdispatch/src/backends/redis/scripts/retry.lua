--[[
retry: puts a failed attempt of a running job back, to wait `delayMs` (on the Redis server's clock)
before the claim script moves it to the back of its level; only if the claim is still held.

KEYS: 1 seq, 2 counts, 3 leases, 4 delayed, 5 wake (keys.ts)
ARGV: 1 key prefix, 2 job id, 3 fencing token, 4 now (ms), 5 error as JSON {code, message},
      6 delayMs
Returns: R.OK or R.NOT_HELD
]]

local id, now, delayMs = ARGV[2], tonumber(ARGV[4]), tonumber(ARGV[6])
local r = heldRecord(id, ARGV[3], 'name', 'priority', 'attempts')
if not r then return R.NOT_HELD end
local key = jobKey(id)
-- No `seq` while waiting: the job is in no list (cancel and promotion rely on that), and the
-- claim's token is void.
redis.call('HDEL', key, 'seq')
redis.call('HSET', key, 'status', 'queued', 'error', ARGV[5], 'updatedAt', now)
dropLease(id)
redis.call('ZADD', DELAYED, serverNow() + delayMs, id)
emit('retrying', id, r[3], r[4], now,
  ',"attempt":' .. r[5] .. ',"error":' .. ARGV[5] .. ',"delayMs":' .. jsonNumber(delayMs))
-- Idle workers recompute when to wake for the next due retry.
wake(1)
done()
return R.OK
