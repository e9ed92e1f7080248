--[[
submit: records and enqueues jobs (or schedules them, when due later), or records them as
duplicates of a live execution with the same dedup key (promoting that execution when it waits at
a lower level). Each job is handled on its own, in order, exactly as if submitted alone; a batch
only saves round trips.

KEYS: the fixed keys (keys.ts)      ARGV: the common ARGV (lib.lua), then 10 per job:
      id, name, priority (0-2), createdAt, runAt ('' or ms: due later when above now),
      params, description, dedupKey, timeoutMs, retries
      (each of the last five '' when absent, else '=' .. value; params as JSON)
Returns: one reply per job, in order:
      R.OK                                    queued
      R.SCHEDULED                             scheduled (due later)
      {R.DUPLICATED, promoted (0|1), original id, original record as HGETALL}
      {R.QUEUE_FULL, capacityPerLevel}        its level is full
      {R.ID_TAKEN}                            a kept record already has this id
]]

SWEEP_ALL = true

local STRIDE = 10

-- The record owning `dedup`, when that execution is live: scheduled, queued, running, or
-- completed less than dedupTtl ago while its record is kept.
local function liveExecution(dedup)
  local id = redis.call('GET', dedupKey(dedup))
  if not id then return nil end
  local r = readFields(jobKey(id), { 'status', 'finishedAt', 'priority', 'name', 'seq' })
  if r == nil or not r[1] or not isLevel(r[3]) or not r[4] then return nil end
  local status = r[1]
  if status == 'queued' or status == 'running' or status == 'scheduled'
    or (status == 'completed' and isNumber(r[2]) and NOW < tonumber(r[2]) + DEDUP_TTL
      and retained('completed', r[2])) then
    return { id = id, status = status, priority = tonumber(r[3]), name = r[4], inQueue = r[5] ~= false }
  end
  return nil
end

-- Moves a waiting original up to `priority`: a queued one to the back of that level (it keeps its
-- queuedAt: it has waited that long), a scheduled one keeps its due time.
local function promote(original, priority)
  if priority <= original.priority then return 0 end
  if original.status == 'scheduled' then
    redis.call('HSET', jobKey(original.id), 'priority', priority, 'updatedAt', NOW)
  elseif original.status == 'queued' and original.inQueue then
    if countAt(priority) >= CAPACITY then return 0 end
    unqueue(original.id, original.priority, original.name)
    enqueue(original.id, priority, original.name, false, { 'priority', priority, 'updatedAt', NOW })
  else
    return 0
  end
  emit('promoted', original.id, original.name, priority, NOW, ',"fromPriority":' .. original.priority)
  return 1
end

-- Whether any record of the batch exists already (one EXISTS for the batch, the common case being
-- none); ids repeated within the batch are caught by `seen`.
local anyExists = false
do
  local keys = {}
  for i = A + 1, #ARGV, STRIDE do keys[#keys + 1] = jobKey(ARGV[i]) end
  for first = 1, #keys, 1000 do
    local last = math.min(first + 999, #keys)
    if redis.call('EXISTS', unpack(keys, first, last)) > 0 then anyExists = true end
  end
end
local seen = {}

-- An existing record with this id: nil when there is none or it is past its retention (then it is
-- dropped), else why the id is taken.
local function taken(id)
  local key = jobKey(id)
  if redis.call('EXISTS', key) == 0 then return false end
  local r = readFields(key, { 'status', 'finishedAt', 'name' })
  if r ~= nil and FINISHED[r[1]] and not retained(r[1], r[2]) and r[3] then
    dropRecords({ { id, tonumber(r[2]), r[3] } }, r[1])
    return false
  end
  return true
end

-- Params go to their own key, not the record hash (keys.ts: p:<id>), written with the record.
local function writeParams(id, params)
  if params then redis.call('SET', paramsKey(id), params) end
end

local function submitOne(id, name, priority, createdAt, runAt, params, description, dedup, timeoutMs, retries)
  if seen[id] then return { R.ID_TAKEN } end
  seen[id] = true
  if anyExists and taken(id) then return { R.ID_TAKEN } end
  local fields = { 'name', name, 'priority', priority, 'createdAt', createdAt }
  if description then fields[#fields + 1] = 'description'; fields[#fields + 1] = description end
  if dedup then fields[#fields + 1] = 'dedupKey'; fields[#fields + 1] = dedup end
  if timeoutMs then fields[#fields + 1] = 'timeoutMs'; fields[#fields + 1] = timeoutMs end
  if retries then fields[#fields + 1] = 'retries'; fields[#fields + 1] = retries end
  if runAt then fields[#fields + 1] = 'runAt'; fields[#fields + 1] = runAt end
  saddLater(TYPES, name)

  local original = dedup and liveExecution(dedup)
  if original then
    local promoted = promote(original, priority)
    fields[#fields + 1] = 'duplicateOf'
    fields[#fields + 1] = original.id
    writeParams(id, params)
    settle(id, name, 'duplicated', fields)
    emit('duplicated', id, name, priority, NOW, ',"duplicateOf":' .. jsonString(original.id))
    return { R.DUPLICATED, promoted, original.id, fullRecord(original.id) }
  end

  if runAt and tonumber(runAt) > NOW then
    fields[#fields + 1] = 'status'
    fields[#fields + 1] = 'scheduled'
    fields[#fields + 1] = 'updatedAt'
    fields[#fields + 1] = NOW
    writeParams(id, params)
    redis.call('HSET', jobKey(id), unpack(fields))
    schedule(id, name, tonumber(runAt))
    if dedup then redis.call('SET', dedupKey(dedup), id) end
    emit('scheduled', id, name, priority, NOW, ',"runAt":' .. jsonNumber(tonumber(runAt)))
    return R.SCHEDULED
  end

  if countAt(priority) >= CAPACITY then return { R.QUEUE_FULL, CAPACITY } end
  fields[#fields + 1] = 'queuedAt'
  fields[#fields + 1] = NOW
  fields[#fields + 1] = 'updatedAt'
  fields[#fields + 1] = NOW
  writeParams(id, params)
  enqueue(id, priority, name, false, fields)
  if dedup then redis.call('SET', dedupKey(dedup), id) end
  emit('queued', id, name, priority, NOW)
  return R.OK
end

reserveSeqs((#ARGV - A) / STRIDE)
local replies = {}
local queued = 0
for i = A + 1, #ARGV, STRIDE do
  local reply = submitOne(ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2]), ARGV[i + 3],
    opt(ARGV[i + 4]), opt(ARGV[i + 5]), opt(ARGV[i + 6]), opt(ARGV[i + 7]), opt(ARGV[i + 8]),
    opt(ARGV[i + 9]))
  if reply == R.OK then queued = queued + 1 end
  replies[#replies + 1] = reply
end
done()
-- Idle workers wake for what was queued; a scheduled job is announced by its `scheduled` event
-- (every process times its wake-up from it) and by the `due` index the next claim reads.
wake(queued)
return fenced(replies)
