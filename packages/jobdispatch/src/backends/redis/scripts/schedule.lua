--[[
schedule: the repeating schedules of the queue (backend.ts "Schedules"; keys.ts SCHEDULES and
SCHEDULE_NEXT), one operation per call, each atomic.

KEYS: the fixed keys (keys.ts)      ARGV: the common ARGV (lib.lua), then an operation:
  'put', key, definition, nextRunAt   the same definition stored keeps its next run time; another
                                      (or none) is stored with nextRunAt.
                                      Returns {definition, nextRunAt} as stored now.
  'remove', key                       Returns 1 if it existed, else 0.
  'advance', key, expected, next      moves the next run time to `next` only if it is `expected`
                                      (so of the processes that saw the tick due, one wins).
                                      Returns 1 when moved, else 0.
  'list'                              Returns flat {key, definition, nextRunAt, ...}, by key.
Times travel as decimal strings of integers (ms, the backend's clock).
]]

local op = ARGV[A + 1]

if op == 'put' then
  local key, definition, next = ARGV[A + 2], ARGV[A + 3], ARGV[A + 4]
  local stored = redis.call('HGET', SCHEDULES, key)
  local at = redis.call('ZSCORE', SCHEDULE_NEXT, key)
  if stored == definition and at then return { stored, at } end
  redis.call('HSET', SCHEDULES, key, definition)
  redis.call('ZADD', SCHEDULE_NEXT, next, key)
  return { definition, next }
end

if op == 'remove' then
  local key = ARGV[A + 2]
  local removed = redis.call('HDEL', SCHEDULES, key)
  redis.call('ZREM', SCHEDULE_NEXT, key)
  return removed
end

if op == 'advance' then
  local key, expected, next = ARGV[A + 2], tonumber(ARGV[A + 3]), ARGV[A + 4]
  local at = redis.call('ZSCORE', SCHEDULE_NEXT, key)
  if not at or tonumber(at) ~= expected then return 0 end
  redis.call('ZADD', SCHEDULE_NEXT, next, key)
  return 1
end

if op == 'list' then
  local keys = redis.call('HKEYS', SCHEDULES)
  table.sort(keys)
  local out = {}
  for _, key in ipairs(keys) do
    local at = redis.call('ZSCORE', SCHEDULE_NEXT, key)
    if at then
      out[#out + 1] = key
      out[#out + 1] = redis.call('HGET', SCHEDULES, key)
      out[#out + 1] = at
    end
  end
  return out
end

return redis.error_reply('schedule.lua: unknown operation ' .. tostring(op))
