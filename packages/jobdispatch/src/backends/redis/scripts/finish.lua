--[[
finish: ends running jobs (completed, failed or cancelled), each only if its claim is still held:
a worker whose lease was taken over is refused and writes nothing. Each job is handled on its own,
in order; a batch only saves round trips. done() then trims each finished status to its retention
(by count, then by age, a bounded number per call).

KEYS: the fixed keys (keys.ts)      ARGV: the common ARGV (lib.lua), then 4 per job:
      id, fencing token, status ('completed' | 'failed' | 'cancelled'),
      payload ('' or '=' .. JSON: the result when completed, else the error {code, message, ...})
Returns: one reply per job, in order: R.OK, or R.NOT_HELD (refused)
]]

SWEEP_ALL = true

local function finishOne(id, token, status, payload)
  local r = heldRecord(id, token, 'attempts', 'dedupKey')
  if not r or not FINISHED[status] or (status ~= 'completed' and not payload) then return R.NOT_HELD end
  local name = r[3]
  dropLease(id, name)
  local fields = {}
  local extra = ',"attempt":' .. (tonumber(r[5]) or 0)
  if status == 'completed' then
    if payload then fields[#fields + 1] = 'result'; fields[#fields + 1] = payload end
  else
    fields[#fields + 1] = 'error'
    fields[#fields + 1] = payload
    extra = extra .. ',"error":' .. payload
  end
  settle(id, name, status, fields)
  endDedup(r[6], id, status == 'completed')
  emit(status, id, name, r[4], NOW, extra)
  return R.OK
end

local replies = {}
for i = A + 1, #ARGV, 4 do
  replies[#replies + 1] = finishOne(ARGV[i], ARGV[i + 1], ARGV[i + 2], opt(ARGV[i + 3]))
end
done()
return fenced(replies)
