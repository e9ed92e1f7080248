--[[
cancel: a queued or scheduled job (a retry waiting for its backoff included) is cancelled at once
and never starts; a running job gets `cancelRequested` on its record and a `cancelling` event,
which the process running it turns into an abort of its signal (its next lease renewal reports it
too, should the event be missed).

KEYS: the fixed keys (keys.ts)      ARGV: the common ARGV (lib.lua), then: job id
Returns: {R.OK, record} (cancelled), {R.CANCEL_REQUESTED, record}, {R.ALREADY_FINISHED, record}
      or {R.JOB_NOT_FOUND}; each record as HGETALL
]]

SWEEP_ALL = true

local id = ARGV[A + 1]
local key = jobKey(id)
local r = readFields(key, { 'status', 'finishedAt', 'name', 'priority', 'cancelRequested', 'dedupKey' })
if r == nil then return redis.error_reply('MALFORMED_RECORD the record of job "' .. id .. '" is not a hash') end
local status = r[1]
if not status or (FINISHED[status] and not retained(status, r[2])) then return { R.JOB_NOT_FOUND } end
if FINISHED[status] then return { R.ALREADY_FINISHED, fullRecord(id) } end
if not r[3] or not isLevel(r[4]) then
  return redis.error_reply('MALFORMED_RECORD the record of job "' .. id .. '" has no name or priority')
end
local name, level = r[3], tonumber(r[4])
if status ~= 'running' and status ~= 'queued' and status ~= 'scheduled' then
  return redis.error_reply('MALFORMED_RECORD the record of job "' .. id .. '" has an unknown status')
end
if status == 'running' then
  if r[5] ~= '1' then
    redis.call('HSET', key, 'cancelRequested', '1', 'updatedAt', NOW)
    emit('cancelling', id, name, level, NOW)
    done()
  end
  return fenced({ R.CANCEL_REQUESTED, fullRecord(id) })
end

if status == 'scheduled' then unschedule(id, name) else unqueue(id, level, name) end
local err = cjson.encode({ code = 'JOB_CANCELLED', message = 'cancelled before it started' })
settle(id, name, 'cancelled', { 'error', err })
endDedup(r[6], id, false)
emit('cancelled', id, name, level, NOW, ',"error":' .. err)
done()
return fenced({ R.OK, fullRecord(id) })
