--[[
counts: the records kept in each status (for one type with a name), from the indexes: the queue
counters (live entries), ZCARDs, and for finished statuses a ZCOUNT of those still within their
retention age. Read only.

KEYS: the fixed keys (keys.ts)      ARGV: the common ARGV (lib.lua), then: name ('' or '=' .. name)
Returns: {scheduled, queued, running, completed, failed, cancelled, corrupt}
]]

local name = opt(ARGV[A + 1])
local function card(key)
  local n = redis.pcall('ZCARD', key)
  if type(n) ~= 'number' then return 0 end
  return n
end
-- Records of `status` still within their age, in the type's index, or summed over every type's.
local function kept(status)
  local types = name and { name } or knownTypes()
  local total = 0
  for _, jobType in ipairs(types) do
    local n = redis.pcall('ZCOUNT', finishedKey(status, jobType), '(' .. jsonNumber(NOW - RETAIN[status].age), '+inf')
    if type(n) == 'number' then total = total + n end
  end
  return total
end

local scheduled, queued, running
if name then
  scheduled = card(scheduledKey(name))
  queued = tonumber(redis.call('HGET', COUNTS, 'type:' .. name) or '0') or 0
  running = card(runningKey(name))
else
  scheduled = card(DUE)
  queued = 0
  local levels = redis.pcall('HMGET', COUNTS, '0', '1', '2')
  if type(levels) == 'table' and not levels.err then
    for i = 1, 3 do queued = queued + (tonumber(levels[i]) or 0) end
  end
  running = card(LEASES)
end
local corrupt = redis.pcall('HGET', COUNTS, 'corrupt')
if type(corrupt) ~= 'string' then corrupt = '0' end
return { scheduled, queued, running, kept('completed'), kept('failed'), kept('cancelled'), tonumber(corrupt) or 0 }
