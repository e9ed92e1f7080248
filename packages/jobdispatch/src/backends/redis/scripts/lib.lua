--[[
lib: helpers shared by every script. scripts.ts prepends this file (after the key prelude of
keys.ts and the result codes `R`) to each script, so each script stays one atomic EVALSHA.

Invariants kept by these helpers:
- A queued job has exactly one live entry "<seq>:<id>" in the list of its (level, type), and its
  record's `seq` field equals that entry's seq. Entries whose seq or status no longer match (the
  job was cancelled, promoted, claimed, or requeued since) are stale and are dropped when they
  reach the head: cancel and promotion are O(1). COUNTS counts live entries only.
- Within one list, seqs only grow from head to tail: back pushes take +seq, front pushes -seq.
- The fencing token of a claim is the seq of the entry it took: unique per claim, and void once
  the job is requeued (a new seq), retried (no seq) or finished (not running).
- Every event is collected and published once, at the end of the script (`done()`), on the
  queue's channel: one message per script, so subscribers see events in the order of operations.
- Writes that a script may batch (back pushes, count deltas, lease updates) are buffered and
  applied by `done()`, or earlier by `flushPushes()` when the script reads the lists afterwards.
]]

local EVENTS = {}
local PUSHES, PUSH_ORDER, TYPES_ADDED = {}, {}, {}
local COUNT, COUNT_DELTA = {}, {}
local LEASE_ADDS, LEASE_REMOVALS = {}, {}
local SEQ_NEXT, SEQ_LAST = 1, 0

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

-- Fresh seqs come from one counter, reserved in blocks.
local function reserveSeqs(n)
  if n <= 0 then return end
  SEQ_LAST = redis.call('INCRBY', SEQ, n)
  SEQ_NEXT = SEQ_LAST - n + 1
end
-- As a decimal string (never the exponent form Lua gives large numbers), or negated.
local function nextSeq(negative)
  if SEQ_NEXT > SEQ_LAST then reserveSeqs(16) end
  local seq = SEQ_NEXT
  SEQ_NEXT = SEQ_NEXT + 1
  if negative then seq = -seq end
  return string.format('%d', seq)
end

-- JSON without cjson for the common case: strings that need no escaping, integral numbers.
local function jsonString(s)
  -- The fast test covers UUIDs and most names; the slow one whatever else needs no escaping.
  if not string.find(s, '^[%w%-_.:]*$') and string.find(s, '[%c"\\]') then
    return cjson.encode(s)
  end
  return '"' .. s .. '"'
end
-- Job type names repeat: encode each once per script.
local NAME_JSON = {}
local function jsonName(name)
  local json = NAME_JSON[name]
  if json == nil then
    json = jsonString(name)
    NAME_JSON[name] = json
  end
  return json
end
local function jsonNumber(n)
  if n == math.floor(n) and math.abs(n) < 1e15 then return string.format('%d', n) end
  return string.format('%.17g', n)
end

-- Repeated parts of events, encoded once per script: priorities, the timestamp.
local PRIORITY_JSON = { [0] = '0', [1] = '1', [2] = '2', ['0'] = '0', ['1'] = '1', ['2'] = '2' }
local AT, AT_JSON = nil, nil

-- `extra` is a JSON fragment of further fields (',"attempt":1,...'), or nil.
local function emit(eventType, id, name, priority, at, extra)
  if at ~= AT then AT, AT_JSON = at, jsonNumber(at) end
  EVENTS[#EVENTS + 1] = '{"type":"' .. eventType .. '","jobId":' .. jsonString(id)
    .. ',"name":' .. jsonName(name) .. ',"priority":' .. (PRIORITY_JSON[priority] or priority)
    .. ',"at":' .. AT_JSON .. (extra or '') .. '}'
end

local function countAt(level)
  level = tonumber(level)
  local count = COUNT[level]
  if count == nil then
    count = tonumber(redis.call('HGET', COUNTS, level) or '0')
    COUNT[level] = count
  end
  return count
end
local function addCount(level, n)
  level = tonumber(level)
  COUNT[level] = countAt(level) + n
  COUNT_DELTA[level] = (COUNT_DELTA[level] or 0) + n
end

-- Calls `command key values...` in chunks of `step` values (unpack has a stack limit).
local function callInChunks(command, key, values, step)
  for first = 1, #values, step do
    redis.call(command, key, unpack(values, first, math.min(first + step - 1, #values)))
  end
end

local function flushPushes()
  for _, list in ipairs(PUSH_ORDER) do
    callInChunks('RPUSH', list, PUSHES[list], 1000)
    redis.call('SADD', TYPES_ADDED[list][1], TYPES_ADDED[list][2])
  end
  PUSHES, PUSH_ORDER, TYPES_ADDED = {}, {}, {}
end

-- Puts a job in the queue: a new entry at the back (or front) of its (level, type) list, and
-- writes `fields` (a flat list of further record fields) with the queue fields in one HSET.
local LIST_KEYS = {}
local function listKeyOf(level, jobType)
  local key = level .. ':' .. jobType
  local list = LIST_KEYS[key]
  if list == nil then
    list = listKey(level, jobType)
    LIST_KEYS[key] = list
  end
  return list
end

local function enqueue(id, level, jobType, front, fields)
  local seq = nextSeq(front)
  local list = listKeyOf(level, jobType)
  if front then
    redis.call('LPUSH', list, seq .. ':' .. id)
    redis.call('SADD', typesKey(level), jobType)
  else
    local entries = PUSHES[list]
    if entries == nil then
      entries = {}
      PUSHES[list] = entries
      PUSH_ORDER[#PUSH_ORDER + 1] = list
      TYPES_ADDED[list] = { typesKey(level), jobType }
    end
    entries[#entries + 1] = seq .. ':' .. id
  end
  addCount(level, 1)
  fields[#fields + 1] = 'status'
  fields[#fields + 1] = 'queued'
  fields[#fields + 1] = 'seq'
  fields[#fields + 1] = seq
  redis.call('HSET', jobKey(id), unpack(fields))
end

-- Takes a queued job's live entry out of the count (the entry itself goes stale, see above).
local function unqueue(key, level)
  if redis.call('HDEL', key, 'seq') == 1 then addCount(level, -1) end
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

-- The record of a running job whose fencing token (its seq) is `token`, or nil when the claim is
-- not held.
local function heldRecord(id, token, ...)
  local r = redis.call('HMGET', jobKey(id), 'status', 'seq', ...)
  if r[1] ~= 'running' or r[2] ~= token then return nil end
  return r
end

local function holdLease(id, deadline)
  LEASE_ADDS[#LEASE_ADDS + 1] = deadline
  LEASE_ADDS[#LEASE_ADDS + 1] = id
end
local function dropLease(id)
  LEASE_REMOVALS[#LEASE_REMOVALS + 1] = id
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

local function levelName(level)
  if level == 2 then return 'HIGH' elseif level == 1 then return 'NORMAL' end
  return 'LOW'
end

-- Applies the buffered writes and publishes the events; every script ends with it.
local function done()
  flushPushes()
  for level, delta in pairs(COUNT_DELTA) do
    if delta ~= 0 then redis.call('HINCRBY', COUNTS, level, delta) end
  end
  callInChunks('ZADD', LEASES, LEASE_ADDS, 1000)
  callInChunks('ZREM', LEASES, LEASE_REMOVALS, 1000)
  if #EVENTS == 1 then
    redis.call('PUBLISH', CHANNEL, EVENTS[1])
  elseif #EVENTS > 1 then
    redis.call('PUBLISH', CHANNEL, '[' .. table.concat(EVENTS, ',') .. ']')
  end
end
