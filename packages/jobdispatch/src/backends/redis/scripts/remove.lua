--[[
remove: deletes a record that is not running: a queued or scheduled job leaves its queue, a
finished one its indexes; a dedupKey pointing at it is freed. Event `removed`.

KEYS: the fixed keys (keys.ts)      ARGV: the common ARGV (lib.lua), then: job id
Returns: R.OK (removed), {R.JOB_NOT_FOUND} or {R.INVALID_STATE, 'running'}
]]

SWEEP_ALL = true

local id = ARGV[A + 1]
local key = jobKey(id)
local r = readFields(key, { 'status', 'finishedAt', 'name', 'priority', 'dedupKey' })
if r == nil then
  -- Not a hash: whatever it is, it is no record; deleting it is what was asked.
  moveAside(key, 'remove found a key that is not a hash')
  return { R.JOB_NOT_FOUND }
end
local status = r[1]
if not status or (FINISHED[status] and not retained(status, r[2])) then return { R.JOB_NOT_FOUND } end
if status == 'running' then return { R.INVALID_STATE, status } end
local name = r[3]
if name then
  if status == 'queued' and isLevel(r[4]) then
    unqueue(id, tonumber(r[4]), name)
  elseif status == 'scheduled' then
    unschedule(id, name)
  elseif FINISHED[status] then
    unfinish(id, status, name)
  end
end
if r[5] then
  local dedup = dedupKey(r[5])
  if redis.call('GET', dedup) == id then redis.call('DEL', dedup) end
end
redis.call('DEL', key, paramsKey(id))
emit('removed', id, name or '', r[4], NOW)
done()
return fenced(R.OK)
