--[[
lib: helpers shared by every script. scripts.ts prepends this file (after the key prelude of
keys.ts, the result codes `R` and the claim fields of record.ts) to each script, so each script
stays one atomic EVALSHA.

Common ARGV (scripts.ts passes them first, the script's own arguments follow from ARGV[A + 1]):
  1 key prefix, 2 now (ms, the backend's clock), 3 capacityPerLevel, 4 dedupTtlMs,
  5-10 retention: completed maxAgeMs, maxCount, failed maxAgeMs, maxCount, cancelled maxAgeMs,
       maxCount (duplicated records follow the completed rule), 11 leaseMs,
  12 aging limit for normal (ms, 0 = off), 13 aging limit for low (ms, 0 = off),
  14 events kept in the event log (approximate MAXLEN)

Invariants kept by these helpers (see keys.ts for the indexes):
- A queued job has exactly one live entry "<seq>:<id>" in the list q:<level>:<type>, and its
  record's `seq` field equals that entry's seq. Entries whose seq or status no longer match (the
  job was cancelled, removed, promoted, claimed or queued again since) are stale and are dropped
  when they reach the head (or skipped by a listing): cancel and promotion are O(1).
- Within one list, seqs only grow from head to tail: back pushes take +seq, front pushes -seq. So a
  list is in claim order, and a listing finds a position by seq.
- COUNTS "<level>" and "type:<name>" count live entries only: they change exactly when an entry is
  pushed or a record's `seq` is taken (HDEL seq reports whether it was there), never twice.
- The other states are sorted sets that agree with the record's status: a scheduled job is in
  `due` and s:<type>; a running one in `leases` and r:<type>; a finished one in f:<status>:<type>
  (one index per type only: a second, queue-wide one would cost about 135 bytes more per kept
  record; the queue-wide views merge the types' indexes, and COUNTS "done:<status>" counts them
  all, changed by what ZADD and ZREM report). Every move changes the record and the indexes in
  the same script, so counts are exact.
- The fencing token of a claim is the seq of the entry it took: unique per claim, and void once
  the job is queued again (a new seq), scheduled for a retry (no seq) or finished (not running).
- A script reads and checks everything it uses before it writes: what it cannot read (a key of
  the wrong type, a record missing a field it needs) is moved aside (`corrupt`, see `moveAside`)
  and the script goes on with the next job.
- Every event is collected and appended at the end of the script (`done()`) to the queue's event
  log (EVENT_LOG, a stream; keys.ts), one entry each, in the order of operations. A script that
  wrote returns `fenced(reply)`: the "Returns" of its header, tagged with the id of its last entry
  (index.ts reads it and hands the caller the reply alone); an early return that wrote nothing
  returns its reply as it is.
- Writes that a script may batch (index adds and removals, count deltas) are buffered and applied
  by `done()`, or earlier by `flushIndexes()` when the script reads the indexes afterwards.
]]

local NOW = tonumber(ARGV[2])
local CAPACITY = tonumber(ARGV[3])
local DEDUP_TTL = tonumber(ARGV[4])
local RETAIN = {
  completed = { age = tonumber(ARGV[5]), count = tonumber(ARGV[6]) },
  failed = { age = tonumber(ARGV[7]), count = tonumber(ARGV[8]) },
  cancelled = { age = tonumber(ARGV[9]), count = tonumber(ARGV[10]) },
}
RETAIN.duplicated = RETAIN.completed
local LEASE_MS = tonumber(ARGV[11])
local AGING = { [0] = tonumber(ARGV[13]), [1] = tonumber(ARGV[12]), [2] = 0 }
local EVENTS_KEPT = tonumber(ARGV[14])
local A = 14
local FINISHED = { completed = true, failed = true, cancelled = true, duplicated = true }
local SWEEP_LIMIT = 100

local EVENTS = {}
-- The id of the last entry done() appended, '' before any (see fenced()).
local LAST_EVENT = ''
local COUNT, COUNT_DELTA = {}, {}
local SEQ_NEXT, SEQ_LAST = 1, 0

-- Milliseconds on the Redis server's clock: the one clock every process agrees on (leases).
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
local function jsonNumber(n)
  if n == math.floor(n) and math.abs(n) < 1e15 then return string.format('%d', n) end
  return string.format('%.17g', n)
end

-- Events, as their log entries' values (keys.ts: t, j, n, p, a, x), appended by done().
local PRIORITY_TEXT = { [0] = '0', [1] = '1', [2] = '2', ['0'] = '0', ['1'] = '1', ['2'] = '2' }
local AT, AT_TEXT = nil, nil

-- `extra` is a JSON fragment of further fields (',"attempt":1,...'), or nil.
local function emit(eventType, id, name, priority, at, extra)
  if at ~= AT then AT, AT_TEXT = at, jsonNumber(at) end
  EVENTS[#EVENTS + 1] = { eventType, id, name, PRIORITY_TEXT[priority] or '1', AT_TEXT,
    extra and string.sub(extra, 2) or '' }
end

-- Counters of the COUNTS hash, read once per script and written back by done(): "<level>" and
-- "type:<name>" (live queue entries), cached here with their pending deltas.
local function countOf(field)
  local count = COUNT[field]
  if count == nil then
    count = tonumber(redis.call('HGET', COUNTS, field) or '0') or 0
    COUNT[field] = count
  end
  return count
end
local function addTo(field, n)
  COUNT[field] = countOf(field) + n
  COUNT_DELTA[field] = (COUNT_DELTA[field] or 0) + n
end
local LEVEL_FIELD = { [0] = '0', [1] = '1', [2] = '2' }
local function countAt(level) return countOf(LEVEL_FIELD[tonumber(level)]) end
local function addCount(level, jobType, n)
  addTo(LEVEL_FIELD[tonumber(level)], n)
  addTo('type:' .. jobType, n)
end

-- Calls `command key values...` in chunks of `step` values (unpack has a stack limit); returns
-- the sum of the integer replies.
local function callInChunks(command, key, values, step)
  local sum = 0
  for first = 1, #values, step do
    sum = sum + redis.call(command, key, unpack(values, first, math.min(first + step - 1, #values)))
  end
  return sum
end

-- Buffered index writes: ZADDs (score, member pairs) and ZREMs per key, in first-use order.
local ZADDS, ZADD_ORDER, ZREMS, ZREM_ORDER, SADDS = {}, {}, {}, {}, {}
-- The status of each finished index written to (its counter follows the ZADDs).
local FINISHED_KEY_STATUS = {}
-- Buffered back pushes of queue entries, per list in first-use order.
local PUSHES, PUSH_ORDER = {}, {}
local function zaddLater(key, score, member)
  local values = ZADDS[key]
  if values == nil then
    values = {}
    ZADDS[key] = values
    ZADD_ORDER[#ZADD_ORDER + 1] = key
  end
  values[#values + 1] = score
  values[#values + 1] = member
end
local function zremLater(key, member)
  local members = ZREMS[key]
  if members == nil then
    members = {}
    ZREMS[key] = members
    ZREM_ORDER[#ZREM_ORDER + 1] = key
  end
  members[#members + 1] = member
end
local function saddLater(key, member)
  local members = SADDS[key]
  if members == nil then
    members = {}
    SADDS[key] = members
  end
  members[member] = true
end

local function flushIndexes()
  for _, key in ipairs(ZADD_ORDER) do
    local added = callInChunks('ZADD', key, ZADDS[key], 1000)
    -- A finished index: its status's counter follows what ZADD reports.
    local status = FINISHED_KEY_STATUS[key]
    if status ~= nil then addTo('done:' .. status, added) end
  end
  for _, list in ipairs(PUSH_ORDER) do callInChunks('RPUSH', list, PUSHES[list], 1000) end
  for _, key in ipairs(ZREM_ORDER) do callInChunks('ZREM', key, ZREMS[key], 1000) end
  for key, members in pairs(SADDS) do
    local list = {}
    for member in pairs(members) do list[#list + 1] = member end
    callInChunks('SADD', key, list, 1000)
  end
  ZADDS, ZADD_ORDER, ZREMS, ZREM_ORDER, SADDS = {}, {}, {}, {}, {}
  PUSHES, PUSH_ORDER = {}, {}
end

local function levelName(level)
  level = tonumber(level)
  if level == 2 then return 'HIGH' elseif level == 1 then return 'NORMAL' end
  return 'LOW'
end

-- Checks of what a script reads -----------------------------------------------------------------

-- HMGET that never raises: the values, or nil and why (the key holds another type).
local function readFields(key, fields)
  local r = redis.pcall('HMGET', key, unpack(fields))
  if type(r) ~= 'table' or r.err then return nil, 'not a hash' end
  return r
end

-- Params live in a key of their own (keys.ts: p:<id>) so that the record hash stays a small
-- listpack. A record of the older layout holds them as its `params` field, which then wins.
-- paramsOf: the params JSON of job `id`, or nil when it has none; '' when the key is not a string
-- (the decoder then reports params as malformed, as for JSON that does not parse).
local function paramsOf(id)
  local value = redis.pcall('GET', paramsKey(id))
  if type(value) == 'table' and value.err then return '' end
  return value or nil
end
-- The flat HGETALL `flat` of record `id`, its params added as the field `params`.
local function withParams(id, flat)
  if #flat == 0 then return flat end
  for i = 1, #flat, 2 do
    if flat[i] == 'params' then return flat end
  end
  local params = paramsOf(id)
  if params then
    flat[#flat + 1] = 'params'
    flat[#flat + 1] = params
  end
  return flat
end
-- The whole record of job `id` as HGETALL gives it, params included (the key must be a hash).
local function fullRecord(id)
  return withParams(id, redis.call('HGETALL', jobKey(id)))
end

local function isNumber(value)
  return value ~= nil and value ~= false and tonumber(value) ~= nil
end
local function isLevel(value)
  return value == '0' or value == '1' or value == '2'
end

-- Moving aside what cannot be read ---------------------------------------------------------------

local JOB_PREFIX = jobKey('')
local function noteCorrupt(key, reason, movedTo)
  redis.call('LPUSH', CORRUPT, cjson.encode({ at = NOW, key = key, reason = reason, movedTo = movedTo }))
  redis.call('LTRIM', CORRUPT, 0, 999)
  redis.call('HINCRBY', COUNTS, 'corrupt', 1)
end

-- Renames a key that cannot be read to x:<seq> (kept 7 days for inspection) and notes it.
local function moveAside(key, reason)
  local movedTo = nil
  if redis.call('EXISTS', key) == 1 then
    movedTo = movedAsideKey(redis.call('INCR', SEQ))
    redis.call('RENAME', key, movedTo)
    redis.call('PEXPIRE', movedTo, 7 * 24 * 3600 * 1000)
  end
  -- A record moved aside: its params key (p:<id>) is kept as long, then goes (nothing reads it).
  if string.sub(key, 1, #JOB_PREFIX) == JOB_PREFIX then
    redis.call('PEXPIRE', paramsKey(string.sub(key, #JOB_PREFIX + 1)), 7 * 24 * 3600 * 1000)
  end
  noteCorrupt(key, reason, movedTo)
  return movedTo
end

-- Queue entries ---------------------------------------------------------------------------------

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

-- An entry's seq and id, or nil when it is not "<integer>:<id>".
local function parseEntry(entry)
  if type(entry) ~= 'string' then return nil end
  local sep = string.find(entry, ':', 1, true)
  if sep == nil or sep == 1 or sep == #entry then return nil end
  local seq = string.sub(entry, 1, sep - 1)
  if not string.find(seq, '^%-?%d+$') then return nil end
  return seq, string.sub(entry, sep + 1)
end

-- Puts a job in the queue: a new entry at the back (or the front) of its (level, type) list, and
-- writes `fields` (a flat list of further record fields) with the queue fields in one HSET.
local function enqueue(id, level, jobType, front, fields)
  local seq = nextSeq(front)
  local list = listKeyOf(level, jobType)
  if front then
    redis.call('LPUSH', list, seq .. ':' .. id)
  else
    local entries = PUSHES[list]
    if entries == nil then
      entries = {}
      PUSHES[list] = entries
      PUSH_ORDER[#PUSH_ORDER + 1] = list
    end
    entries[#entries + 1] = seq .. ':' .. id
  end
  saddLater(typesKey(level), jobType)
  addCount(level, jobType, 1)
  fields[#fields + 1] = 'status'
  fields[#fields + 1] = 'queued'
  fields[#fields + 1] = 'seq'
  fields[#fields + 1] = seq
  redis.call('HSET', jobKey(id), unpack(fields))
end

-- Takes a queued job's live entry out of the counts (the entry itself goes stale, see above).
local function unqueue(id, level, jobType)
  if redis.call('HDEL', jobKey(id), 'seq') == 1 then addCount(level, jobType, -1) end
end

-- Scheduled jobs: in `due` and s:<type>, by due time. `dueSeq` on the record orders jobs due in
-- the same millisecond by when they were scheduled (promoteDue), as the memory backend does.
local function schedule(id, jobType, runAt)
  redis.call('HSET', jobKey(id), 'dueSeq', nextSeq())
  zaddLater(DUE, runAt, id)
  zaddLater(scheduledKey(jobType), runAt, id)
end
local function unschedule(id, jobType)
  redis.call('ZREM', DUE, id)
  redis.call('ZREM', scheduledKey(jobType), id)
end

-- Running jobs: in `leases` (by deadline) and r:<type> (by start).
local function holdLease(id, jobType, deadline, startedAt)
  zaddLater(LEASES, deadline, id)
  zaddLater(runningKey(jobType), startedAt, id)
end
local function dropLease(id, jobType)
  zremLater(LEASES, id)
  zremLater(runningKey(jobType), id)
end

-- Finished records and retention ------------------------------------------------------------------

local TRIM = {}
-- Set by the scripts that sweep every finished status in done(), not only those they finished.
local SWEEP_ALL = false
-- Marks a record finished (`status` one of FINISHED): its final fields (the queue's own fields
-- go), and its place in its type's finished index; done() then trims that status to its retention.
local function settle(id, jobType, status, fields)
  fields[#fields + 1] = 'status'
  fields[#fields + 1] = status
  fields[#fields + 1] = 'finishedAt'
  fields[#fields + 1] = NOW
  fields[#fields + 1] = 'updatedAt'
  fields[#fields + 1] = NOW
  local key = jobKey(id)
  redis.call('HDEL', key, 'seq', 'queuedAt')
  redis.call('HSET', key, unpack(fields))
  local index = finishedKey(status, jobType)
  FINISHED_KEY_STATUS[index] = status
  zaddLater(index, NOW, id)
  TRIM[status] = (TRIM[status] or 0) + 1
end

-- Takes a finished record out of its index (requeue, remove, an id reused after retention).
local function unfinish(id, status, jobType)
  if redis.call('ZREM', finishedKey(status, jobType), id) == 1 then addTo('done:' .. status, -1) end
end

-- True while a finished record (finished at `finishedAt`) is still kept by its retention.
local function retained(status, finishedAt)
  local rule = RETAIN[status]
  if rule == nil then return true end
  return tonumber(finishedAt) ~= nil and tonumber(finishedAt) + rule.age > NOW
end

-- After an execution ends: a completed one keeps its dedup key (it absorbs duplicates while its
-- record is kept and younger than dedupTtl), a failed or cancelled one frees it at once.
local function endDedup(dedup, id, completed)
  if not dedup or completed then return end
  local key = dedupKey(dedup)
  if redis.call('GET', key) == id then redis.call('DEL', key) end
end

-- Every job type the queue has seen (read once per script).
local KNOWN_TYPES = nil
local function knownTypes()
  if KNOWN_TYPES == nil then
    local types = redis.pcall('SMEMBERS', TYPES)
    if type(types) ~= 'table' or types.err then types = {} end
    KNOWN_TYPES = types
  end
  return KNOWN_TYPES
end

-- Deletes finished records of `status` (entries {id, score, type}), their index entries and a
-- dedup key that names them. Batched: one ZREM per type, one DEL for the records.
local function dropRecords(entries, status)
  local byType, records = {}, {}
  for _, entry in ipairs(entries) do
    local id, jobType = entry[1], entry[3]
    local key = jobKey(id)
    records[#records + 1] = key
    records[#records + 1] = paramsKey(id)
    local list = byType[jobType]
    if list == nil then
      list = {}
      byType[jobType] = list
    end
    list[#list + 1] = id
    local dedup = redis.pcall('HGET', key, 'dedupKey')
    if type(dedup) == 'string' then
      local owner = dedupKey(dedup)
      if redis.call('GET', owner) == id then redis.call('DEL', owner) end
    end
  end
  local removed = 0
  for jobType, ids in pairs(byType) do
    removed = removed + callInChunks('ZREM', finishedKey(status, jobType), ids, 1000)
  end
  addTo('done:' .. status, -removed)
  for first = 1, #records, 1000 do
    redis.call('DEL', unpack(records, first, math.min(first + 999, #records)))
  end
end

-- Drops the oldest records of `status` beyond its count, then those past its age: at most
-- `budget` per call (a bounded sweep; the next call goes on). Returns how many went.
local function trim(status, budget)
  local rule = RETAIN[status]
  local want = math.min(math.max(countOf('done:' .. status) - rule.count, 0), budget)
  local cutoff = NOW - rule.age
  local candidates = {}
  for _, jobType in ipairs(knownTypes()) do
    local index = finishedKey(status, jobType)
    local head = redis.call('ZRANGE', index, 0, 0, 'WITHSCORES')
    if head[1] then
      local n = want
      if tonumber(head[2]) <= cutoff then n = budget end
      if n > 0 then
        local flat = redis.call('ZRANGE', index, 0, n - 1, 'WITHSCORES')
        for i = 1, #flat, 2 do candidates[#candidates + 1] = { flat[i], tonumber(flat[i + 1]), jobType } end
      end
    end
  end
  if #candidates == 0 then return 0 end
  table.sort(candidates, function(a, b)
    if a[2] ~= b[2] then return a[2] < b[2] end
    return a[1] < b[1]
  end)
  local chosen = {}
  for i, entry in ipairs(candidates) do
    if #chosen >= budget or (i > want and entry[2] > cutoff) then break end
    chosen[#chosen + 1] = entry
  end
  if #chosen > 0 then dropRecords(chosen, status) end
  return #chosen
end

-- Wake tokens -------------------------------------------------------------------------------------

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

-- Applies the buffered writes, trims what finished, and publishes the events; every script that
-- writes ends with it.
local function done()
  flushIndexes()
  -- What finished is trimmed to its retention, by count and by age, a bounded number per call (no
  -- timer, no TTL per record); a script that sets SWEEP_ALL (submit, finish, cancel and the admin
  -- ones) sweeps every status so. The claim, the hot path, only trims what it finished; reap.lua
  -- sweeps too, and readers skip records past their age meanwhile. Before the counters are
  -- written: trimming changes them.
  for status in pairs(RETAIN) do
    if TRIM[status] or SWEEP_ALL then trim(status, (TRIM[status] or 0) + SWEEP_LIMIT) end
  end
  TRIM = {}
  for field, delta in pairs(COUNT_DELTA) do
    if delta ~= 0 then redis.call('HINCRBY', COUNTS, field, delta) end
  end
  COUNT_DELTA = {}
  -- `0-*`: the next sequence number, so ids are contiguous (keys.ts). Approximate MAXLEN trims
  -- whole nodes only, at almost no cost per entry.
  for i = 1, #EVENTS do
    local e = EVENTS[i]
    LAST_EVENT = redis.call('XADD', EVENT_LOG, 'MAXLEN', '~', EVENTS_KEPT, '0-*',
      't', e[1], 'j', e[2], 'n', e[3], 'p', e[4], 'a', e[5], 'x', e[6])
  end
  EVENTS = {}
end

-- The reply of a fenced script (index.ts, FENCED) that reached done(): its own reply with the id of
-- the last event it appended ('' when none), so the caller waits for exactly that entry to reach
-- its listeners. The tag cannot be confused with a plain reply: none starts with a string.
local function fenced(reply)
  return { 'fenced', LAST_EVENT, reply }
end

-- Moving jobs on time: shared by reap.lua, promote.lua and claim.lua ----------------------------

-- Queues up to `max` scheduled jobs that came due, oldest due time first, at the back of their
-- level (even past its capacity: they were accepted). Returns how many were queued.
-- Jobs due in the same millisecond are queued in the order they were scheduled (`dueSeq`), not in
-- the index's member (id) order. A batch cut inside a group of one due time leaves that group to
-- the next call, unless the group fills the whole batch: then up to DUE_GROUP_LIMIT of it are read.
local DUE_GROUP_LIMIT = 10000
local function dueBatch(max)
  local flat = redis.call('ZRANGEBYSCORE', DUE, '-inf', NOW, 'WITHSCORES', 'LIMIT', 0, max)
  local n = #flat / 2
  if n == 0 then return {} end
  local last = flat[#flat]
  local keep = n
  if n == max then
    while keep > 0 and flat[2 * keep] == last do keep = keep - 1 end
    if keep == 0 then
      flat = redis.call('ZRANGEBYSCORE', DUE, last, last, 'WITHSCORES', 'LIMIT', 0, DUE_GROUP_LIMIT)
      keep = #flat / 2
    end
  end
  local entries = {}
  for i = 1, keep do
    local id = flat[2 * i - 1]
    local r = readFields(jobKey(id), { 'status', 'name', 'priority', 'dueSeq' })
    entries[i] = { id = id, score = tonumber(flat[2 * i]), r = r, seq = r and tonumber(r[4]) or 0 }
  end
  table.sort(entries, function(a, b)
    if a.score ~= b.score then return a.score < b.score end
    if a.seq ~= b.seq then return a.seq < b.seq end
    return a.id < b.id
  end)
  return entries
end

local function promoteDue(max)
  local moved = 0
  for _, entry in ipairs(dueBatch(max)) do
    local id, r = entry.id, entry.r
    local key = jobKey(id)
    redis.call('ZREM', DUE, id)
    if r == nil or r[1] == false then
      moveAside(key, 'a due entry whose record is missing or not a hash')
    elseif r[1] == 'scheduled' and (not r[2] or not isLevel(r[3])) then
      if r[2] then redis.call('ZREM', scheduledKey(r[2]), id) end
      moveAside(key, 'a scheduled record without a name or a priority')
    elseif r[1] == 'scheduled' then
      local name, level = r[2], tonumber(r[3])
      redis.call('ZREM', scheduledKey(name), id)
      redis.call('HDEL', key, 'dueSeq')
      enqueue(id, level, name, false, { 'queuedAt', NOW, 'updatedAt', NOW })
      emit('queued', id, name, level, NOW)
      moved = moved + 1
    end
    -- A readable record of another status had a stray due entry: it is gone now.
  end
  return moved
end

-- Puts back up to `max` running jobs whose lease ran out (the worker died or stalled) at the front
-- of their level, the attempt counted (their token is void from then on); a job whose cancel was
-- asked ends cancelled instead. Returns how many were put back.
local function reapLeases(max, clock)
  local reclaimed = 0
  local expired = redis.call('ZRANGEBYSCORE', LEASES, '-inf', clock, 'LIMIT', 0, max)
  for _, id in ipairs(expired) do
    local key = jobKey(id)
    local r = readFields(key, { 'status', 'name', 'priority', 'cancelRequested', 'dedupKey' })
    redis.call('ZREM', LEASES, id)
    if r == nil or r[1] == false then
      moveAside(key, 'a lease whose record is missing or not a hash')
    elseif r[1] == 'running' and (not r[2] or not isLevel(r[3])) then
      if r[2] then redis.call('ZREM', runningKey(r[2]), id) end
      moveAside(key, 'a running record without a name or a priority')
    elseif r[1] == 'running' then
      local name, level = r[2], tonumber(r[3])
      redis.call('ZREM', runningKey(name), id)
      if r[4] == '1' then
        local err = cjson.encode({ code = 'JOB_CANCELLED', message = 'cancelled; its worker stopped renewing its lease' })
        redis.call('HDEL', key, 'seq')
        settle(id, name, 'cancelled', { 'error', err })
        endDedup(r[5], id, false)
        emit('cancelled', id, name, level, NOW, ',"error":' .. err)
      else
        enqueue(id, level, name, true, { 'queuedAt', NOW, 'updatedAt', NOW })
        reclaimed = reclaimed + 1
        emit('queued', id, name, level, NOW,
          ',"error":{"code":"LEASE_LOST","message":"its lease ran out; back at the front of its level"}')
      end
    end
  end
  return reclaimed
end

-- The time until the next scheduled job is due, on the backend's clock (-1: none).
local function dueInMs()
  local next = redis.call('ZRANGE', DUE, 0, 0, 'WITHSCORES')
  if next[2] == nil then return -1 end
  return math.max(0, tonumber(next[2]) - NOW)
end

-- The record of a running job whose fencing token (its seq) is `token`, or nil when the claim is
-- not held (or the record cannot be read: the lease then runs out and the reaper sets it aside).
-- r[3] is its name, r[4] its priority, the `...` fields follow.
local function heldRecord(id, token, ...)
  local r = readFields(jobKey(id), { 'status', 'seq', 'name', 'priority', ... })
  if r == nil or r[1] ~= 'running' or r[2] ~= token or not r[3] or not isLevel(r[4]) then
    return nil
  end
  return r
end
