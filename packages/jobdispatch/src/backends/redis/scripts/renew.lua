--[[
renew: extends the lease of a running job whose claim is still held, and reports a cancel asked for
it (the fallback for a worker that missed the `cancelling` event).

KEYS: the fixed keys (keys.ts)      ARGV: the common ARGV (lib.lua), then: job id, fencing token
Returns: R.OK (held), R.CANCEL_REQUESTED (held, cancel asked) or R.NOT_HELD (lease lost)
]]

local id = ARGV[A + 1]
local r = heldRecord(id, ARGV[A + 2], 'cancelRequested')
if not r then return R.NOT_HELD end
redis.call('ZADD', LEASES, serverNow() + LEASE_MS, id)
if r[5] == '1' then return R.CANCEL_REQUESTED end
return R.OK
