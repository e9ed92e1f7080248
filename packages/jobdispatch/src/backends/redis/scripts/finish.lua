--[[
finish: ends running jobs (completed, failed or cancelled), each only if its claim is still held:
a worker whose lease was taken over is refused and writes nothing. Each job is handled on its own,
in order; a batch only saves round trips.

KEYS: 1 seq, 2 counts, 3 leases, 4 delayed, 5 wake (keys.ts)
ARGV: 1 key prefix, 2 now (ms), 3 recordTtlMs, 4 dedupTtlMs,
      then 4 per job: id, fencing token, status ('completed' | 'failed' | 'cancelled'),
      payload ('' or '=' .. JSON: the result when completed, else the error {code, message})
Returns: one reply per job, in order: R.OK, or R.NOT_HELD (refused)
]]

local now = tonumber(ARGV[2])
local recordTtl = tonumber(ARGV[3])
local dedupTtl = tonumber(ARGV[4])

local function finishOne(id, token, status, payload)
  local r = heldRecord(id, token, 'name', 'priority', 'attempts', 'dedupKey')
  if not r then return R.NOT_HELD end
  dropLease(id)
  local fields = { 'status', status }
  local extra = ',"attempt":' .. r[5]
  if status == 'completed' then
    if payload then fields[#fields + 1] = 'result'; fields[#fields + 1] = payload end
  else
    fields[#fields + 1] = 'error'
    fields[#fields + 1] = payload
    extra = extra .. ',"error":' .. payload
  end
  settle(jobKey(id), now, recordTtl, fields)
  endDedup(r[6], id, status == 'completed', dedupTtl)
  emit(status, id, r[3], r[4], now, extra)
  return R.OK
end

local replies = {}
for i = 5, #ARGV, 4 do
  replies[#replies + 1] = finishOne(ARGV[i], ARGV[i + 1], ARGV[i + 2], opt(ARGV[i + 3]))
end
done()
return replies
