--[[
claim: the one place jobs start. First it puts back jobs whose lease ran out (at the front of their
level, attempt counted; a job whose cancel was asked ends cancelled instead) and moves retries that
came due to the back of their level; then it takes up to `max` jobs, marking each running with a
lease and a fencing token (the seq of its entry). With max 0 it only does the first part (the periodic reaper).

Selection is the memory backend's: per level, the oldest head among the type lists the caller may
run (types with no starts left are skipped, never block the others); levels strictly high > normal
> low, except that with aging a head that waited past its level's limit competes one level up.
When one type is all the best level can offer (and aging is off), its entries are popped in bulk.

KEYS: 1 seq, 2 counts, 3 leases, 4 delayed, 5 wake (keys.ts)
ARGV: 1 key prefix, 2 now (ms), 3 max, 4 leaseMs, 5 capacityPerLevel, 6 recordTtlMs,
      7 aging limit for normal (ms, 0 = off), 8 aging limit for low (ms, 0 = off),
      then pairs: job type, starts left (only types with a cap)
Returns: {dueInMs, claims...}: dueInMs is the time until the next retry comes due (-1: none); then,
      flat, per claim: id, token, attempt, the CLAIM_FIELDS of the record before the claim (false
      where absent): the caller applies what the claim changed (status running, attempts,
      startedAt and updatedAt now, no progress). One flat array is cheaper to decode than nested.
]]

local now = tonumber(ARGV[2])
local max = tonumber(ARGV[3])
local leaseMs = tonumber(ARGV[4])
local capacity = tonumber(ARGV[5])
local recordTtl = tonumber(ARGV[6])
local agingMs = { [0] = tonumber(ARGV[8]), [1] = tonumber(ARGV[7]), [2] = 0 }
local aging = agingMs[0] > 0 or agingMs[1] > 0
local clock = serverNow()
local woken = 0

local left = {}
for i = 9, #ARGV, 2 do left[ARGV[i]] = tonumber(ARGV[i + 1]) end

-- 1. Leases that ran out: the worker died or stalled. Its token is void from now on.
local expired = redis.call('ZRANGEBYSCORE', LEASES, '-inf', clock, 'LIMIT', 0, 100)
for _, id in ipairs(expired) do
  redis.call('ZREM', LEASES, id)
  local key = jobKey(id)
  local r = redis.call('HMGET', key, 'status', 'name', 'priority', 'cancelRequested', 'dedupKey')
  if r[1] == 'running' then
    if r[4] == '1' then
      local err = cjson.encode({ code = 'JOB_CANCELLED', message = 'cancelled; its worker stopped renewing its lease' })
      settle(key, now, recordTtl, { 'status', 'cancelled', 'error', err })
      endDedup(r[5], id, false, 0)
      emit('cancelled', id, r[2], r[3], now, ',"error":' .. err)
    else
      enqueue(id, tonumber(r[3]), r[2], true, { 'queuedAt', now, 'updatedAt', now })
      woken = woken + 1
      emit('queued', id, r[2], r[3], now,
        ',"error":{"code":"LEASE_LOST","message":"its lease ran out; back at the front of its level"}')
    end
  end
end

-- 2. Retries that came due go to the back of their level (or fail if it is full).
local due = redis.call('ZRANGEBYSCORE', DELAYED, '-inf', clock, 'LIMIT', 0, 100)
for _, id in ipairs(due) do
  redis.call('ZREM', DELAYED, id)
  local key = jobKey(id)
  local r = redis.call('HMGET', key, 'status', 'name', 'priority', 'attempts', 'dedupKey')
  if r[1] == 'queued' then
    local level = tonumber(r[3])
    if countAt(level) >= capacity then
      local err = cjson.encode({
        code = 'QUEUE_FULL',
        message = 'retry refused: the ' .. levelName(level) .. ' level is full ('
          .. capacity .. ' jobs); try again later',
      })
      settle(key, now, recordTtl, { 'status', 'failed', 'error', err })
      endDedup(r[5], id, false, 0)
      emit('failed', id, r[2], level, now, ',"attempt":' .. (r[4] or 0) .. ',"error":' .. err)
    else
      enqueue(id, level, r[2], false, { 'queuedAt', now, 'updatedAt', now })
      woken = woken + 1
    end
  end
end
flushPushes()

-- 3. Selection. A valid entry is one whose record is queued with the entry's seq.
local function parse(entry)
  local sep = string.find(entry, ':', 1, true)
  return string.sub(entry, 1, sep - 1), string.sub(entry, sep + 1)
end

local STATUS, SEQ_FIELD = CLAIM_FIELD.status, CLAIM_FIELD.seq
local function readRecord(id)
  return redis.call('HMGET', jobKey(id), unpack(CLAIM_READ_FIELDS))
end

-- heads[level][type]: the list's valid head {seq, id, values}, or false when empty.
local heads = { [0] = {}, [1] = {}, [2] = {} }
local typesOf = {}

local function headOf(level, jobType)
  local cached = heads[level][jobType]
  if cached ~= nil then return cached end
  local list = listKey(level, jobType)
  while true do
    local entry = redis.call('LINDEX', list, 0)
    if not entry then
      redis.call('SREM', typesKey(level), jobType)
      heads[level][jobType] = false
      return false
    end
    local seq, id = parse(entry)
    local values = readRecord(id)
    if values[STATUS] == 'queued' and values[SEQ_FIELD] == seq then
      local head = { seq = tonumber(seq), id = id, values = values, list = list }
      heads[level][jobType] = head
      return head
    end
    redis.call('LPOP', list) -- stale: cancelled, promoted, claimed or expired
  end
end

local function runnable(jobType)
  local room = left[jobType]
  return room == nil or room > 0
end

local function typesAt(level)
  local types = typesOf[level]
  if types == nil then
    types = redis.call('SMEMBERS', typesKey(level))
    typesOf[level] = types
  end
  return types
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
      if agingMs[level] > 0 and now - tonumber(head.values[CLAIM_FIELD.queuedAt]) >= agingMs[level] then
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

local claims = { -1 }
local taken = 0
local function take(id, values, jobType, level)
  local key = jobKey(id)
  local attempt = (tonumber(values[CLAIM_FIELD.attempts]) or 0) + 1
  redis.call('HSET', key, 'status', 'running', 'attempts', attempt, 'startedAt', now,
    'updatedAt', now)
  if values[CLAIM_FIELD.progress] then redis.call('HDEL', key, 'progress') end
  holdLease(id, clock + leaseMs)
  addCount(level, -1)
  if left[jobType] ~= nil then left[jobType] = left[jobType] - 1 end
  emit('started', id, jobType, level, now,
    ',"attempt":' .. attempt .. ',"waitMs":' .. jsonNumber(now - tonumber(values[CLAIM_FIELD.queuedAt])))
  taken = taken + 1
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
      local seq, id = parse(entry)
      local values = id == head.id and head.values or readRecord(id)
      if values[STATUS] == 'queued' and values[SEQ_FIELD] == seq then
        take(id, values, jobType, level)
      end
    end
  else
    redis.call('LPOP', head.list)
    take(head.id, head.values, jobType, level)
  end
end

-- Wake tokens are hints that work may be there: drop them when there is none; pass one on when
-- this claim had to leave work behind for another worker.
local queued = 0
for level = 0, 2 do queued = queued + countAt(level) end
local next = redis.call('ZRANGE', DELAYED, 0, 0, 'WITHSCORES')
if queued == 0 and next[1] == nil then
  redis.call('DEL', WAKE)
elseif woken > 0 or (max > 0 and taken == max and queued > 0) then
  wake(math.max(woken, 1))
end
if next[2] then claims[1] = math.max(0, tonumber(next[2]) - clock) end

done()
return claims
