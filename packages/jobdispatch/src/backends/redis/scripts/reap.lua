--[[
reap: running jobs whose lease ran out go back to the front of their level (`reapLeases` in
lib.lua); then a bounded sweep drops finished records past their retention age (the finish script
trims as jobs finish; this catches a queue where nothing finishes any more). Run by each working
process every quarter lease.

KEYS: the fixed keys (keys.ts)      ARGV: the common ARGV (lib.lua), then: max leases, max records
      per finished status
Returns: {reclaimed, dropped}
]]

local reclaimed = reapLeases(tonumber(ARGV[A + 1]), serverNow())
local dropped = 0
for status in pairs(RETAIN) do dropped = dropped + trim(status, tonumber(ARGV[A + 2])) end
done()
if reclaimed > 0 then wake(reclaimed) end
return { reclaimed, dropped }
