--[[
claim: the one place jobs start. First, cheaply, what is late: when the oldest lease ran out it
reaps (`reapLeases`), when the first scheduled job is due it promotes (`promoteDue`); then it takes
up to `max` jobs, marking each running with a lease and a fencing token (the seq of its entry).
Nothing is claimed while the queue is paused, nor of a paused type.

Selection is the memory backend's: per level, the oldest head among the type queues the caller
may run (types with no starts left are skipped, never block the others); levels strictly high >
normal > low, except that with aging a head that waited past its level's limit competes one level
up. When one type is all the best level can offer (and aging is off), its entries are popped in
bulk.

Every entry is checked before anything is written for it. A stale entry (its record is gone, or no
longer queued with the entry's seq) is dropped, as it always was. What no script would write is
moved aside and noted (`corrupt`): an entry that is not "<seq>:<id>", a record that is not a hash
(renamed aside), a live record lacking a field the claim needs (failed with MALFORMED_RECORD, so
nobody waits for it), a queue or a type set of the wrong type (renamed aside, the counts rebuilt).
The claim goes on with the next entry.

Type limits (backend.ts "Type limits"), in `typeLimits` below: a type with a global
concurrency may start only while ZCARD r:<type> (its running jobs, over the queue) is below it; a
rate-limited type only while its sliding log l:<type> (start times, the backend's clock; members
the claims' tokens) holds fewer than `max` starts newer than NOW - perMs (see RATE_SLACK_MS). Both become the type's
starts left, so a limited type is skipped like a paused one, never blocking the others.

KEYS: the fixed keys (keys.ts)      ARGV: the common ARGV (lib.lua), then: max, n, then n
      quadruples: job type, rate max, rate perMs, global concurrency (0: none of that limit),
      then pairs: job type, starts left (only types with a cap)
Returns: {dueInMs, limitInMs, claims...}: dueInMs is the time until the next scheduled job is due
      (-1: none); limitInMs the time until the rate window of a limited type with queued jobs
      frees (-1: none held);
      then, flat, per claim: id, token, attempt, the CLAIM_FIELDS of the record before the claim
      (false where absent): the caller applies what the claim changed (status running, attempts,
      startedAt and updatedAt now, no progress). One flat array is cheaper to decode than nested.
]]

local max = tonumber(ARGV[A + 1])
local aging = AGING[0] > 0 or AGING[1] > 0
local clock = serverNow()
local woken = 0

local left = {}
local nLimits = tonumber(ARGV[A + 2])
local LIMITS = {}
for i = A + 3, A + 2 + 4 * nLimits, 4 do
  LIMITS[ARGV[i]] = {
    rateMax = tonumber(ARGV[i + 1]), perMs = tonumber(ARGV[i + 2]), global = tonumber(ARGV[i + 3]),
  }
end
for i = A + 3 + 4 * nLimits, #ARGV, 2 do left[ARGV[i]] = tonumber(ARGV[i + 1]) end

-- 1. What is late: leases that ran out, scheduled jobs that came due.
local oldestLease = redis.call('ZRANGE', LEASES, 0, 0, 'WITHSCORES')
if oldestLease[2] and tonumber(oldestLease[2]) <= clock then woken = woken + reapLeases(100, clock) end
local firstDue = redis.call('ZRANGE', DUE, 0, 0, 'WITHSCORES')
if firstDue[2] and tonumber(firstDue[2]) <= NOW then woken = woken + promoteDue(500) end
flushIndexes()

-- 2. Pauses: the queue's, and each paused type has no starts left.
local pauses = redis.pcall('HGETALL', PAUSE)
if type(pauses) ~= 'table' or pauses.err then
  moveAside(PAUSE, 'the pause flags are not a hash')
  pauses = {}
end
for i = 1, #pauses, 2 do
  local field = pauses[i]
  if field == 'queue' then max = 0 end
  if string.sub(field, 1, 5) == 'type:' then left[string.sub(field, 6)] = 0 end
end

-- 2b. Type limits: each limited type's starts left is at most its room under its limits.
-- Each claim reads NOW on its own process's clock a moment before it runs here, so claims do
-- not run in NOW order: a start counts against every claim whose NOW is within perMs after it
-- (later ones count it even if their NOW is earlier), and an entry stays RATE_SLACK_MS longer
-- than perMs (trim and expiry), so that a claim whose NOW lags the others' by up to that still
-- sees it. Without the slack, a lagging claim could find the entries it needs already trimmed.
local RATE_SLACK_MS = 1000
local function rateCount(log, perMs)
  return redis.call('ZCOUNT', log, '(' .. jsonNumber(NOW - perMs), '+inf')
end
local function typeLimits()
  for jobType, limit in pairs(LIMITS) do
    local room = nil
    if limit.rateMax > 0 then
      local log = rateLogKey(jobType)
      redis.call('ZREMRANGEBYSCORE', log, '-inf', NOW - limit.perMs - RATE_SLACK_MS)
      room = limit.rateMax - rateCount(log, limit.perMs)
    end
    if limit.global > 0 then
      local free = limit.global - redis.call('ZCARD', runningKey(jobType))
      if room == nil or free < room then room = free end
    end
    if room ~= nil then
      if room < 0 then room = 0 end
      if left[jobType] == nil or room < left[jobType] then left[jobType] = room end
    end
  end
end
-- A start of a rate-limited type joins its log (the token is unique per claim).
local function logStart(jobType, token)
  local limit = LIMITS[jobType]
  if limit and limit.rateMax > 0 then
    local log = rateLogKey(jobType)
    redis.call('ZADD', log, NOW, token)
    redis.call('PEXPIRE', log, limit.perMs + RATE_SLACK_MS)
  end
end
-- How long until a rate-limited type with queued jobs may start one again (-1: none held).
local function rateFreesInMs()
  local soonest = -1
  for jobType, limit in pairs(LIMITS) do
    if limit.rateMax > 0 and countOf('type:' .. jobType) > 0 then
      local log = rateLogKey(jobType)
      local n = rateCount(log, limit.perMs)
      if n >= limit.rateMax then
        -- The start whose leaving the window brings it below max.
        local entry = redis.call('ZRANGEBYSCORE', log, '(' .. jsonNumber(NOW - limit.perMs), '+inf',
          'WITHSCORES', 'LIMIT', n - limit.rateMax, 1)
        local inMs = math.max(0, tonumber(entry[2]) + limit.perMs - NOW)
        if soonest < 0 or inMs < soonest then soonest = inMs end
      end
    end
  end
  return soonest
end
if nLimits > 0 then typeLimits() end

-- 3. Selection.
local STATUS, SEQ_FIELD, PARAMS_FIELD = CLAIM_FIELD.status, CLAIM_FIELD.seq, CLAIM_FIELD.params
local function readRecord(id)
  return readFields(jobKey(id), CLAIM_READ_FIELDS)
end
-- What the entry (seq, id) of queue (level, jobType) is: 'live', 'stale' (dropped quietly), or
-- a problem to set aside.
local function problemOf(values, seq, level, jobType)
  if values == nil then return 'its record is not a hash' end
  if values[STATUS] ~= 'queued' or values[SEQ_FIELD] ~= seq then return 'stale' end
  if values[CLAIM_FIELD.name] ~= jobType then return 'its record names another type' end
  if values[CLAIM_FIELD.priority] ~= tostring(level) then return 'its record has another priority' end
  if not isNumber(values[CLAIM_FIELD.createdAt]) then return 'createdAt is not a number' end
  if not isNumber(values[CLAIM_FIELD.queuedAt]) then return 'queuedAt is not a number' end
  if values[CLAIM_FIELD.attempts] and not isNumber(values[CLAIM_FIELD.attempts]) then
    return 'attempts is not a number'
  end
  return 'live'
end

-- Levels whose counts are rebuilt at the end, from the lists (after a corrupt list or type set:
-- how many live entries it held cannot be known otherwise).
local RECOUNT = false

-- An entry already popped from its list that cannot be claimed: a live record that is a hash is
-- failed (so nobody waits for it); one that is not a hash is renamed aside.
local function setAside(id, values, level, jobType, reason)
  local key = jobKey(id)
  local message = 'the queue entry of job "' .. id .. '" could not be claimed: ' .. reason
  local err = cjson.encode({ code = 'MALFORMED_RECORD', message = message })
  if values == nil then
    moveAside(key, message)
    -- Its entry was live or not, nobody can tell: the counts are rebuilt.
    RECOUNT = true
    emit('failed', id, jobType, level, NOW, ',"error":' .. err)
    return
  end
  noteCorrupt(key, message)
  local fields = { 'error', err, 'name', jobType, 'priority', level }
  if not isNumber(values[CLAIM_FIELD.createdAt]) then
    fields[#fields + 1] = 'createdAt'
    fields[#fields + 1] = NOW
  end
  if values[CLAIM_FIELD.attempts] and not isNumber(values[CLAIM_FIELD.attempts]) then
    fields[#fields + 1] = 'attempts'
    fields[#fields + 1] = 0
  end
  unqueue(id, level, jobType)
  settle(id, jobType, 'failed', fields)
  emit('failed', id, jobType, level, NOW, ',"error":' .. err)
end

-- Rebuilds every type set and queue count from the lists of every known type: O(queued), run
-- only after corruption.
local function recount()
  local types = redis.pcall('SMEMBERS', TYPES)
  if type(types) ~= 'table' or types.err then types = {} end
  local levelTotals = { [0] = 0, [1] = 0, [2] = 0 }
  local typeTotals = {}
  for level = 0, 2 do
    for _, jobType in ipairs(types) do
      local entries = redis.pcall('LRANGE', listKey(level, jobType), 0, -1)
      if type(entries) == 'table' and not entries.err and #entries > 0 then
        redis.call('SADD', typesKey(level), jobType)
        for _, entry in ipairs(entries) do
          local seq, id = parseEntry(entry)
          local r = seq and readFields(jobKey(id), { 'status', 'seq' })
          if r and r[1] == 'queued' and r[2] == seq then
            levelTotals[level] = levelTotals[level] + 1
            typeTotals[jobType] = (typeTotals[jobType] or 0) + 1
          end
        end
      end
    end
  end
  for level = 0, 2 do addTo(LEVEL_FIELD[level], levelTotals[level] - countAt(level)) end
  for _, jobType in ipairs(types) do
    local field = 'type:' .. jobType
    addTo(field, (typeTotals[jobType] or 0) - countOf(field))
  end
end

-- heads[level][type]: the list's live head {seq, id, values, list}, or false when empty.
local heads = { [0] = {}, [1] = {}, [2] = {} }
local typesOf = {}

local function typesAt(level)
  local types = typesOf[level]
  if types == nil then
    types = redis.pcall('SMEMBERS', typesKey(level))
    if type(types) ~= 'table' or types.err then
      moveAside(typesKey(level), 'the type set of a level is not a set')
      RECOUNT = true
      -- Every known type may have entries at this level: headOf drops the empty ones.
      types = redis.call('SMEMBERS', TYPES)
    end
    typesOf[level] = types
  end
  return types
end

local function headOf(level, jobType)
  local cached = heads[level][jobType]
  if cached ~= nil then return cached end
  local list = listKeyOf(level, jobType)
  while true do
    local entry = redis.pcall('LINDEX', list, 0)
    if type(entry) == 'table' and entry.err then
      moveAside(list, 'a queue that is not a list')
      redis.call('SREM', typesKey(level), jobType)
      RECOUNT = true
      heads[level][jobType] = false
      return false
    end
    if not entry then
      redis.call('SREM', typesKey(level), jobType)
      heads[level][jobType] = false
      return false
    end
    local seq, id = parseEntry(entry)
    if seq == nil then
      redis.call('LPOP', list)
      noteCorrupt(list, 'an entry that is not "<seq>:<id>": ' .. string.sub(tostring(entry), 1, 200))
    else
      local values = readRecord(id)
      local problem = problemOf(values, seq, level, jobType)
      if problem == 'live' then
        local head = { seq = tonumber(seq), id = id, values = values, list = list }
        heads[level][jobType] = head
        return head
      end
      redis.call('LPOP', list)
      if problem ~= 'stale' then setAside(id, values, level, jobType, problem) end
    end
  end
end

local function runnable(jobType)
  local room = left[jobType]
  return room == nil or room > 0
end

local function oldestHead(level)
  local best, bestType = nil, nil
  for _, jobType in ipairs(typesAt(level)) do
    if runnable(jobType) then
      local head = headOf(level, jobType)
      if head and (best == nil or head.seq < best.seq) then best, bestType = head, jobType end
    end
  end
  return best, bestType
end

local function select()
  local best, bestType, bestLevel, bestRank = nil, nil, nil, -1
  for level = 2, 0, -1 do
    if level + 1 < bestRank then break end
    local head, jobType = oldestHead(level)
    if head then
      local rank = level
      if AGING[level] > 0 and NOW - tonumber(head.values[CLAIM_FIELD.queuedAt]) >= AGING[level] then
        rank = level + 1
      end
      if rank > bestRank or (rank == bestRank and head.seq < best.seq) then
        best, bestType, bestLevel, bestRank = head, jobType, level, rank
      end
      if not aging then break end
    end
  end
  return best, bestType, bestLevel
end

local claims = { -1, -1 }
local taken = 0
local function take(id, values, jobType, level)
  local key = jobKey(id)
  local attempt = (tonumber(values[CLAIM_FIELD.attempts]) or 0) + 1
  redis.call('HSET', key, 'status', 'running', 'attempts', attempt, 'startedAt', NOW, 'updatedAt', NOW)
  if values[CLAIM_FIELD.progress] then redis.call('HDEL', key, 'progress') end
  holdLease(id, jobType, clock + LEASE_MS, NOW)
  addCount(level, jobType, -1)
  if left[jobType] ~= nil then left[jobType] = left[jobType] - 1 end
  if nLimits > 0 then logStart(jobType, values[SEQ_FIELD]) end
  emit('started', id, jobType, level, NOW,
    ',"attempt":' .. attempt .. ',"waitMs":' .. jsonNumber(NOW - tonumber(values[CLAIM_FIELD.queuedAt])))
  taken = taken + 1
  -- The params, from their own key unless an older record holds them (lib.lua, paramsOf).
  values[PARAMS_FIELD] = values[PARAMS_FIELD] or paramsOf(id) or false
  local n = #claims
  claims[n + 1], claims[n + 2], claims[n + 3] = id, values[SEQ_FIELD], attempt
  for i = 1, CLAIM_RETURNED do claims[n + 3 + i] = values[i] end
end

-- The only runnable type of `level`, when there is exactly one.
local function soleType(level)
  local sole = nil
  for _, jobType in ipairs(typesAt(level)) do
    if runnable(jobType) then
      if sole then return nil end
      sole = jobType
    end
  end
  return sole
end

while taken < max do
  local head, jobType, level = select()
  if not head then break end
  heads[level][jobType] = nil
  local sole = not aging and soleType(level)
  if sole then
    -- Bulk: nothing else at this level or above can be chosen before this list runs dry.
    local want = max - taken
    if left[jobType] ~= nil and left[jobType] < want then want = left[jobType] end
    local entries = redis.call('LPOP', head.list, want) or {}
    for _, entry in ipairs(entries) do
      local seq, id = parseEntry(entry)
      if seq == nil then
        noteCorrupt(head.list, 'an entry that is not "<seq>:<id>": ' .. string.sub(tostring(entry), 1, 200))
      else
        local values = id == head.id and head.values or readRecord(id)
        local problem = id == head.id and 'live' or problemOf(values, seq, level, jobType)
        if problem == 'live' then
          take(id, values, jobType, level)
        elseif problem ~= 'stale' then
          setAside(id, values, level, jobType, problem)
        end
      end
    end
  else
    redis.call('LPOP', head.list)
    take(head.id, head.values, jobType, level)
  end
end

flushIndexes()
if RECOUNT then recount() end

-- Wake tokens are hints that work may be there: drop them when there is none; pass one on when
-- this claim had to leave work behind for another worker.
local queued = 0
for level = 0, 2 do queued = queued + countAt(level) end
local dueIn = dueInMs()
if queued == 0 then
  -- Nothing to wake for: the next due time goes back to the caller, which sets its timer.
  redis.call('DEL', WAKE)
elseif woken > 0 or (max > 0 and taken == max and queued > 0) then
  wake(math.max(woken, 1))
end
claims[1] = dueIn
if nLimits > 0 then claims[2] = rateFreesInMs() end

done()
return claims
