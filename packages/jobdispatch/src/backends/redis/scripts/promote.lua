--[[
promote: scheduled jobs that came due (scheduled at submit, or waiting for a retry's backoff) are
queued at the back of their level (`promoteDue` in lib.lua). Any process of the queue may run it:
the first to do so moves a job, the others find nothing. The claim script does the same first
whenever something is due, so this one serves processes whose workers are all busy.

KEYS: the fixed keys (keys.ts)      ARGV: the common ARGV (lib.lua), then: max
Returns: {queued, dueInMs}: jobs queued, and the time until the next one is due (-1: none)
]]

local moved = promoteDue(tonumber(ARGV[A + 1]))
done()
if moved > 0 then wake(moved) end
return { moved, dueInMs() }
