--[[
release: gives a running job back at shutdown: to the front of its level, its attempt not counted,
with a `queued` event; only if the claim is still held. A job whose cancel was asked ends
cancelled instead, since nobody wants it run again.

KEYS: the fixed keys (keys.ts)      ARGV: the common ARGV (lib.lua), then: job id, fencing token
Returns: R.OK or R.NOT_HELD
]]

local id = ARGV[A + 1]
local r = heldRecord(id, ARGV[A + 2], 'cancelRequested', 'dedupKey', 'attempts')
if not r then return R.NOT_HELD end
local name, level = r[3], tonumber(r[4])
dropLease(id, name)
if r[5] == '1' then
  local err = cjson.encode({ code = 'JOB_CANCELLED', message = 'cancelled; its worker shut down' })
  redis.call('HDEL', jobKey(id), 'seq')
  settle(id, name, 'cancelled', { 'error', err })
  endDedup(r[6], id, false)
  emit('cancelled', id, name, level, NOW, ',"error":' .. err)
else
  local attempts = math.max(0, (tonumber(r[7]) or 1) - 1)
  enqueue(id, level, name, true, { 'attempts', attempts, 'queuedAt', NOW, 'updatedAt', NOW })
  emit('queued', id, name, level, NOW)
  wake(1)
end
done()
return fenced(R.OK)
