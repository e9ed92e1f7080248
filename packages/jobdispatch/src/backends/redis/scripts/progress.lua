--[[
progress: stores a running job's progress on its record and emits a `progress` event, when the
claim is still held (a worker whose lease was taken over writes nothing).

KEYS: 1 seq, 2 counts, 3 leases, 4 delayed, 5 wake (keys.ts)
ARGV: 1 key prefix, 2 job id, 3 fencing token, 4 now (ms), 5 progress as JSON {percent, message?}
Returns: R.OK or R.NOT_HELD
]]

local id, now = ARGV[2], tonumber(ARGV[4])
local r = heldRecord(id, ARGV[3], 'name', 'priority', 'attempts')
if not r then return R.NOT_HELD end
redis.call('HSET', jobKey(id), 'progress', ARGV[5], 'updatedAt', now)
-- The JSON from the caller is spliced in as it is: a percent keeps every digit.
emit('progress', id, r[3], r[4], now, ',"attempt":' .. r[5] .. ',"progress":' .. ARGV[5])
done()
return R.OK
