--[[
retry: a failed attempt of a running job goes back, only if the claim is still held: with delayMs
0 at once to the back of its level (even past its capacity: the job was accepted); otherwise it
waits as a scheduled job with runAt = now + delayMs (the backend's clock) and is queued when due
(promoteDue), like a job submitted for later.

KEYS: the fixed keys (keys.ts)      ARGV: the common ARGV (lib.lua), then: job id, fencing token,
      error as JSON {code, message, ...}, delayMs
Returns: R.OK or R.NOT_HELD
]]

local id, token, err, delayMs = ARGV[A + 1], ARGV[A + 2], ARGV[A + 3], tonumber(ARGV[A + 4])
local r = heldRecord(id, token, 'attempts')
if not r or delayMs == nil then return R.NOT_HELD end
local name, level = r[3], tonumber(r[4])
local key = jobKey(id)
dropLease(id, name)
emit('retrying', id, name, level, NOW, ',"attempt":' .. (tonumber(r[5]) or 0) .. ',"error":' .. err
  .. ',"delayMs":' .. jsonNumber(delayMs))
if delayMs <= 0 then
  enqueue(id, level, name, false, { 'error', err, 'queuedAt', NOW, 'updatedAt', NOW })
  wake(1)
else
  local runAt = NOW + delayMs
  -- No `seq` while scheduled: the claim's token is void.
  redis.call('HDEL', key, 'seq')
  redis.call('HSET', key, 'status', 'scheduled', 'runAt', runAt, 'error', err, 'updatedAt', NOW)
  schedule(id, name, runAt)
end
-- A scheduled retry is announced by its `retrying` event: idle workers time their wake-up from it.
done()
return fenced(R.OK)
