--[[
progress: stores a running job's progress on its record and emits a `progress` event, when the
claim is still held (a worker whose lease was taken over writes nothing).

KEYS: the fixed keys (keys.ts)      ARGV: the common ARGV (lib.lua), then: job id, fencing token,
      progress as JSON {percent, message?}
Returns: R.OK or R.NOT_HELD
]]

local id = ARGV[A + 1]
local r = heldRecord(id, ARGV[A + 2], 'attempts')
if not r then return R.NOT_HELD end
redis.call('HSET', jobKey(id), 'progress', ARGV[A + 3], 'updatedAt', NOW)
-- The JSON from the caller is spliced in as it is: a percent keeps every digit.
emit('progress', id, r[3], r[4], NOW, ',"attempt":' .. (tonumber(r[5]) or 0) .. ',"progress":' .. ARGV[A + 3])
done()
return fenced(R.OK)
