--[[
submit: records and enqueues jobs, or records them as duplicates of a live execution with the same
dedup key (promoting that execution when it waits at a lower level). Each job is handled on its
own, in order, exactly as if submitted alone; a batch only saves round trips.

KEYS: 1 seq, 2 counts, 3 leases, 4 delayed, 5 wake (keys.ts)
ARGV: 1 key prefix, 2 now (ms), 3 capacityPerLevel, 4 recordTtlMs, 5 dedupTtlMs,
      then 7 per job: id, name, priority (0-2), createdAt,
      params, description, dedupKey (each '' when absent, else '=' .. value; params as JSON)
Returns: one reply per job, in order:
      R.OK                                    queued
      {R.DUPLICATED, promoted (0|1), original id, original record as HGETALL}
      {R.QUEUE_FULL, capacityPerLevel}        its level is full
      {R.ID_TAKEN}                            a live record already has this id
]]

local now = tonumber(ARGV[2])
local capacity = tonumber(ARGV[3])
local recordTtl = tonumber(ARGV[4])
local dedupTtl = tonumber(ARGV[5])

-- The record owning `dedup`, when that execution is live: queued, running, or completed less
-- than dedupTtl ago (and not expired).
local function liveExecution(dedup)
  local id = redis.call('GET', dedupKey(dedup))
  if not id then return nil end
  local r = redis.call('HMGET', jobKey(id), 'status', 'finishedAt', 'expiresAt', 'priority', 'name', 'seq')
  local status = r[1]
  if not status then return nil end
  if r[3] and tonumber(r[3]) <= now then return nil end
  if status == 'queued' or status == 'running'
    or (status == 'completed' and now < tonumber(r[2]) + dedupTtl) then
    return { id = id, status = status, priority = tonumber(r[4]), name = r[5], inList = r[6] ~= false }
  end
  return nil
end

-- Moves a queued original up to `priority`, at the back of that level; its old entry goes stale.
-- It keeps its queuedAt: it has waited that long.
local function promote(original, priority)
  if not original.inList or original.status ~= 'queued' or priority <= original.priority then
    return 0
  end
  if countAt(priority) >= capacity then return 0 end
  addCount(original.priority, -1)
  enqueue(original.id, priority, original.name, false, { 'priority', priority, 'updatedAt', now })
  emit('promoted', original.id, original.name, priority, now, ',"fromPriority":' .. original.priority)
  return 1
end

-- Whether any record of the batch exists already (one EXISTS for the batch, the common case being
-- none); ids repeated within the batch are caught by `seen`.
local anyExists = false
do
  local keys = {}
  for i = 6, #ARGV, 7 do keys[#keys + 1] = jobKey(ARGV[i]) end
  for first = 1, #keys, 1000 do
    local last = math.min(first + 999, #keys)
    if redis.call('EXISTS', unpack(keys, first, last)) > 0 then anyExists = true end
  end
end
local seen = {}

local function submitOne(id, name, priority, createdAt, params, description, dedup)
  local key = jobKey(id)
  if seen[id] then return { R.ID_TAKEN } end
  seen[id] = true
  if anyExists and redis.call('EXISTS', key) == 1 then
    local expiresAt = redis.call('HGET', key, 'expiresAt')
    if not expiresAt or tonumber(expiresAt) > now then return { R.ID_TAKEN } end
    redis.call('DEL', key)
  end
  local fields = { 'name', name, 'priority', priority, 'createdAt', createdAt }
  if params then fields[#fields + 1] = 'params'; fields[#fields + 1] = params end
  if description then fields[#fields + 1] = 'description'; fields[#fields + 1] = description end
  if dedup then fields[#fields + 1] = 'dedupKey'; fields[#fields + 1] = dedup end

  local original = dedup and liveExecution(dedup)
  if original then
    local promoted = promote(original, priority)
    fields[#fields + 1] = 'status'
    fields[#fields + 1] = 'duplicated'
    fields[#fields + 1] = 'duplicateOf'
    fields[#fields + 1] = original.id
    settle(key, now, recordTtl, fields)
    emit('duplicated', id, name, priority, now, ',"duplicateOf":' .. jsonString(original.id))
    return { R.DUPLICATED, promoted, original.id, redis.call('HGETALL', jobKey(original.id)) }
  end

  if countAt(priority) >= capacity then return { R.QUEUE_FULL, capacity } end
  fields[#fields + 1] = 'queuedAt'
  fields[#fields + 1] = now
  fields[#fields + 1] = 'updatedAt'
  fields[#fields + 1] = now
  enqueue(id, priority, name, false, fields)
  if dedup then redis.call('SET', dedupKey(dedup), id) end
  emit('queued', id, name, priority, now)
  return R.OK
end

reserveSeqs((#ARGV - 5) / 7)
local replies = {}
local queued = 0
for i = 6, #ARGV, 7 do
  local reply = submitOne(ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2]), ARGV[i + 3],
    opt(ARGV[i + 4]), opt(ARGV[i + 5]), opt(ARGV[i + 6]))
  if reply == R.OK then queued = queued + 1 end
  replies[#replies + 1] = reply
end
done()
wake(queued)
return replies
