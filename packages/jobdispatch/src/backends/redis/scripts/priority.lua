--[[
priority (setPriority): a queued job moves to the back of the level asked for (QUEUE_FULL when
that level is full), a scheduled one will enter that level when due. Event `promoted` (with
fromPriority) when the level is higher; the same level changes nothing.

KEYS: the fixed keys (keys.ts)      ARGV: the common ARGV (lib.lua), then: job id, priority (0-2)
Returns: {R.OK, record as HGETALL}, {R.JOB_NOT_FOUND}, {R.INVALID_STATE, status} or
      {R.QUEUE_FULL, capacityPerLevel}
]]

local id, priority = ARGV[A + 1], tonumber(ARGV[A + 2])
local key = jobKey(id)
local r = readFields(key, { 'status', 'finishedAt', 'name', 'priority', 'seq' })
if r == nil then return redis.error_reply('MALFORMED_RECORD the record of job "' .. id .. '" is not a hash') end
local status = r[1]
if not status or (FINISHED[status] and not retained(status, r[2])) then return { R.JOB_NOT_FOUND } end
if status ~= 'queued' and status ~= 'scheduled' then return { R.INVALID_STATE, status } end
if not r[3] or not isLevel(r[4]) then
  return redis.error_reply('MALFORMED_RECORD the record of job "' .. id .. '" has no name or priority')
end
local name, from = r[3], tonumber(r[4])
if priority ~= from then
  if status == 'queued' then
    if countAt(priority) >= CAPACITY then return { R.QUEUE_FULL, CAPACITY } end
    unqueue(id, from, name)
    enqueue(id, priority, name, false, { 'priority', priority, 'updatedAt', NOW })
    wake(1)
  else
    redis.call('HSET', key, 'priority', priority, 'updatedAt', NOW)
  end
  if priority > from then emit('promoted', id, name, priority, NOW, ',"fromPriority":' .. from) end
  done()
end
return fenced({ R.OK, fullRecord(id) })
