--[[
reap: running jobs whose lease ran out go back to the front of their level (`reapLeases` in
lib.lua); due jobs are queued (`promoteDue`: the backstop for a process that missed the event
announcing them); done() sweeps finished records past their retention age (the finish script trims
as jobs finish; this catches a queue where nothing finishes any more). Run by each working process
every quarter lease, for the leases; and, at most SWEEP_LIMIT per status, the records past their
retention age in statuses where nothing finishes any more.

KEYS: the fixed keys (keys.ts)      ARGV: the common ARGV (lib.lua), then: max leases, max due jobs
Returns: {reclaimed + queued, dueInMs}
]]

local woken = reapLeases(tonumber(ARGV[A + 1]), serverNow())
woken = woken + promoteDue(tonumber(ARGV[A + 2]))
for status in pairs(RETAIN) do trim(status, SWEEP_LIMIT) end
done()
if woken > 0 then wake(woken) end
return { woken, dueInMs() }
