--[[
requeue (the admin retry): a failed or cancelled job, still kept, goes back to the back of its
level, queued, its error, result, finishedAt, progress and cancelRequested cleared, attempts kept
and attemptsAtRequeue set to them (the dispatcher counts a fresh retry budget from there). Its
dedupKey is taken back when no other live execution holds it. Event `retried`.

KEYS: the fixed keys (keys.ts)      ARGV: the common ARGV (lib.lua), then: job id
Returns: {R.OK, record as HGETALL}, {R.JOB_NOT_FOUND}, {R.INVALID_STATE, status} or
      {R.QUEUE_FULL, capacityPerLevel}
]]

SWEEP_ALL = true

local id = ARGV[A + 1]
local key = jobKey(id)
local r = readFields(key, { 'status', 'finishedAt', 'name', 'priority', 'attempts', 'dedupKey' })
if r == nil then return redis.error_reply('MALFORMED_RECORD the record of job "' .. id .. '" is not a hash') end
local status = r[1]
if not status or (FINISHED[status] and not retained(status, r[2])) then return { R.JOB_NOT_FOUND } end
if status ~= 'failed' and status ~= 'cancelled' then return { R.INVALID_STATE, status } end
if not r[3] or not isLevel(r[4]) then
  return redis.error_reply('MALFORMED_RECORD the record of job "' .. id .. '" has no name or priority')
end
local name, level = r[3], tonumber(r[4])
if countAt(level) >= CAPACITY then return { R.QUEUE_FULL, CAPACITY } end
unfinish(id, status, name)
redis.call('HDEL', key, 'error', 'result', 'finishedAt', 'progress', 'cancelRequested')
local attempts = tonumber(r[5]) or 0
enqueue(id, level, name, false,
  { 'attempts', attempts, 'attemptsAtRequeue', attempts, 'queuedAt', NOW, 'updatedAt', NOW })
if r[6] then
  local dedup = dedupKey(r[6])
  local owner = redis.call('GET', dedup)
  if not owner or redis.call('EXISTS', jobKey(owner)) == 0 then redis.call('SET', dedup, id) end
end
emit('retried', id, name, level, NOW)
wake(1)
done()
return fenced({ R.OK, fullRecord(id) })
