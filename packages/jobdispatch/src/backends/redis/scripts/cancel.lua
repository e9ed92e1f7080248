--[[
cancel: a queued job (or one waiting to retry) is cancelled at once and never starts; a running job
gets `cancelRequested` on its record and a `cancelling` event, which the process running it turns
into an abort of its signal (its next lease renewal reports it too, should the event be missed).

KEYS: 1 seq, 2 counts, 3 leases, 4 delayed, 5 wake (keys.ts)
ARGV: 1 key prefix, 2 job id, 3 now (ms), 4 recordTtlMs
Returns: {R.OK, record} (cancelled), {R.CANCEL_REQUESTED, record}, {R.ALREADY_FINISHED, record}
      or {R.JOB_NOT_FOUND}; each record as HGETALL
]]

local id, now = ARGV[2], tonumber(ARGV[3])
local key = jobKey(id)
local r = redis.call('HMGET', key, 'status', 'expiresAt', 'name', 'priority', 'cancelRequested', 'dedupKey')
local status = r[1]
if not status or (r[2] and tonumber(r[2]) <= now) then return { R.JOB_NOT_FOUND } end
if status == 'running' then
  if r[5] ~= '1' then
    redis.call('HSET', key, 'cancelRequested', '1', 'updatedAt', now)
    emit('cancelling', id, r[3], r[4], now)
    done()
  end
  return { R.CANCEL_REQUESTED, redis.call('HGETALL', key) }
end
if status ~= 'queued' then return { R.ALREADY_FINISHED, redis.call('HGETALL', key) } end

if redis.call('ZREM', DELAYED, id) == 0 then unqueue(key, r[4]) end
local err = cjson.encode({ code = 'JOB_CANCELLED', message = 'cancelled before it started' })
settle(key, now, tonumber(ARGV[4]), { 'status', 'cancelled', 'error', err })
endDedup(r[6], id, false, 0)
emit('cancelled', id, r[3], r[4], now, ',"error":' .. err)
done()
return { R.OK, redis.call('HGETALL', key) }
