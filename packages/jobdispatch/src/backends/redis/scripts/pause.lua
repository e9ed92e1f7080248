--[[
pause: stores or clears a pause flag (the whole queue, or one job type); the claim script of every
process reads it. Resuming wakes idle workers.

KEYS: the fixed keys (keys.ts)      ARGV: the common ARGV (lib.lua), then: '1' (pause) or '0'
      (resume), field ('queue' or 'type:<name>')
Returns: R.OK
]]

local field = ARGV[A + 2]
if redis.call('TYPE', PAUSE).ok ~= 'hash' and redis.call('EXISTS', PAUSE) == 1 then
  moveAside(PAUSE, 'the pause flags are not a hash')
end
if ARGV[A + 1] == '1' then
  redis.call('HSET', PAUSE, field, '1')
elseif redis.call('HDEL', PAUSE, field) == 1 then
  wake(WAKE_CAP)
end
return R.OK
