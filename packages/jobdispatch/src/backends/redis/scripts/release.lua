--[[
release: gives a running job back at shutdown: to the front of its level, its attempt not counted,
with a `queued` event; only if the claim is still held. A job whose cancel was asked ends
cancelled instead, since nobody wants it run again.

KEYS: 1 seq, 2 counts, 3 leases, 4 delayed, 5 wake (keys.ts)
ARGV: 1 key prefix, 2 job id, 3 fencing token, 4 now (ms), 5 recordTtlMs
Returns: R.OK or R.NOT_HELD
]]

local id, now = ARGV[2], tonumber(ARGV[4])
local r = heldRecord(id, ARGV[3], 'name', 'priority', 'cancelRequested', 'dedupKey', 'attempts')
if not r then return R.NOT_HELD end
local key = jobKey(id)
dropLease(id)
if r[5] == '1' then
  local err = cjson.encode({ code = 'JOB_CANCELLED', message = 'cancelled; its worker shut down' })
  settle(key, now, tonumber(ARGV[5]), { 'status', 'cancelled', 'error', err })
  endDedup(r[6], id, false, 0)
  emit('cancelled', id, r[3], r[4], now, ',"error":' .. err)
else
  local attempts = math.max(0, (tonumber(r[7]) or 1) - 1)
  enqueue(id, tonumber(r[4]), r[3], true, { 'attempts', attempts, 'queuedAt', now, 'updatedAt', now })
  emit('queued', id, r[3], r[4], now)
  wake(1)
end
done()
return R.OK
