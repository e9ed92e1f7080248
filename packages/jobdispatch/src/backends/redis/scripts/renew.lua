--[[
renew: extends the lease of a running job whose claim is still held, and reports a cancel asked for
it (the fallback for a worker that missed the `cancelling` event).

KEYS: 1 seq, 2 counts, 3 leases, 4 delayed, 5 wake (keys.ts)
ARGV: 1 key prefix, 2 job id, 3 fencing token, 4 leaseMs
Returns: R.OK (held), R.CANCEL_REQUESTED (held, cancel asked) or R.NOT_HELD (lease lost)
]]

local id = ARGV[2]
local r = heldRecord(id, ARGV[3], 'cancelRequested')
if not r then return R.NOT_HELD end
redis.call('ZADD', LEASES, serverNow() + tonumber(ARGV[4]), id)
if r[3] == '1' then return R.CANCEL_REQUESTED end
return R.OK
