--[[
lib: helpers shared by every script. scripts.ts prepends this file (after the key prelude of
keys.ts and the result codes `R`) to each script, so each script stays one atomic EVALSHA.

Invariants kept by these helpers:
- A queued job has exactly one live entry "<seq>:<id>" in the list of its (level, type), and its
  record's `seq` field equals that entry's seq. Entries whose seq no longer matches (the job was
  cancelled, promoted, or claimed) are stale and are dropped when they reach the head: cancel and
  promotion are O(1). COUNTS counts live entries only.
- Within one list, seqs only grow from head to tail: back pushes take +INCR, front pushes -INCR.
- Every event is collected in EVENTS and published once, at the end of the script, on the queue's
  channel: one message per script, so subscribers see events in the order of operations.
]]

local EVENTS = {}

-- Milliseconds on the Redis server's clock: the one clock every process agrees on (leases, retries).
local function serverNow()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- '' means absent; a present value travels with a leading '=' (so an empty string is possible).
local function opt(value)
  if value == nil or value == '' then return nil end
  return string.sub(value, 2)
end

-- `raw` holds fields already encoded as JSON by the caller, spliced in verbatim (so a progress
-- percent keeps every digit instead of going through cjson's 14-digit numbers).
local function emit(eventType, id, name, priority, at, extra, raw)
  local event = { type = eventType, jobId = id, name = name, priority = tonumber(priority), at = at }
  if extra then
    for k, v in pairs(extra) do event[k] = v end
  end
  local json = cjson.encode(event)
  if raw then
    for k, v in pairs(raw) do json = string.sub(json, 1, -2) .. ',"' .. k .. '":' .. v .. '}' end
  end
  EVENTS[#EVENTS + 1] = json
end

local function publishEvents()
  if #EVENTS == 1 then
    redis.call('PUBLISH', CHANNEL, EVENTS[1])
  elseif #EVENTS > 1 then
    redis.call('PUBLISH', CHANNEL, '[' .. table.concat(EVENTS, ',') .. ']')
  end
end

-- Lets up to `n` idle workers know that work may have arrived (bounded: tokens are hints).
local WAKE_CAP = 64
local function wake(n)
  local room = WAKE_CAP - redis.call('LLEN', WAKE)
  if n > room then n = room end
  if n <= 0 then return end
  local tokens = {}
  for i = 1, n do tokens[i] = '1' end
  redis.call('RPUSH', WAKE, unpack(tokens))
end

local function countAt(level)
  return tonumber(redis.call('HGET', COUNTS, level) or '0')
end

-- Puts a job in the queue: a new entry at the back (or front) of its (level, type) list.
-- `fields` are further record fields to write in the same HSET.
local function enqueue(id, level, jobType, front, fields)
  local seq = redis.call('INCR', SEQ)
  if front then seq = -seq end
  local list = listKey(level, jobType)
  if front then
    redis.call('LPUSH', list, seq .. ':' .. id)
  else
    redis.call('RPUSH', list, seq .. ':' .. id)
  end
  redis.call('SADD', typesKey(level), jobType)
  redis.call('HINCRBY', COUNTS, level, 1)
  fields[#fields + 1] = 'status'
  fields[#fields + 1] = 'queued'
  fields[#fields + 1] = 'seq'
  fields[#fields + 1] = seq
  redis.call('HSET', jobKey(id), unpack(fields))
end

-- Takes a queued job's live entry out of the count (the entry itself goes stale, see above).
local function unqueue(key, level)
  if redis.call('HDEL', key, 'seq') == 1 then
    redis.call('HINCRBY', COUNTS, level, -1)
  end
end

-- Marks a record finished: final status fields, logical expiry, and real expiry as garbage collection.
local function settle(key, now, recordTtl, fields)
  fields[#fields + 1] = 'finishedAt'
  fields[#fields + 1] = now
  fields[#fields + 1] = 'updatedAt'
  fields[#fields + 1] = now
  fields[#fields + 1] = 'expiresAt'
  fields[#fields + 1] = now + recordTtl
  redis.call('HSET', key, unpack(fields))
  redis.call('PEXPIRE', key, math.max(1, math.floor(recordTtl)))
end

-- After an execution ends: a completed one keeps its dedup key (logically for dedupTtl from
-- finishedAt; really expired by PEXPIRE), a failed or cancelled one frees it at once.
local function endDedup(dedup, id, completed, dedupTtl)
  if not dedup then return end
  local key = dedupKey(dedup)
  if redis.call('GET', key) ~= id then return end
  if completed then
    redis.call('PEXPIRE', key, math.max(1, math.floor(dedupTtl)))
  else
    redis.call('DEL', key)
  end
end

-- The record of a running job whose fencing token is `token`, or nil when the claim is not held.
local function heldRecord(id, token, ...)
  local r = redis.call('HMGET', jobKey(id), 'status', 'token', ...)
  if r[1] ~= 'running' or r[2] ~= token then return nil end
  return r
end

local function levelName(level)
  if level == 2 then return 'HIGH' elseif level == 1 then return 'NORMAL' end
  return 'LOW'
end
