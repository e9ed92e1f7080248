--[[
list: one page of the jobs in one status (for one type with a name), read from the indexes, never
a scan of keys. Orders: queued by level high first, then seq (claim order: each type's list is in
seq order, and the lists of a level are merged); scheduled by due time; running by start; finished
newest first. A sorted set page is a range read from the cursor's rank, O(limit + log n); a
list page starts at the cursor's entry (LPOS) or, when it left, at the first larger seq (binary
search), then reads on, skipping stale entries. Ties of a score are kept in member (id) order, so
the position (score, id) after the last job returned is a total order and paging neither repeats
nor skips a job that stays in its state.

Read only: it writes nothing (records past their retention are skipped; a sweep drops them).

KEYS: the fixed keys (keys.ts)      ARGV: the common ARGV (lib.lua), then: status, name ('' or
      '=' .. name), count, cursor level ('' or 0-2, queued only), cursor score ('' or number),
      cursor id ('' or '=' .. id)
Returns: flat, per job (at most `count`): id, score, level ('' unless queued), record as HGETALL
]]

local status, name, count = ARGV[A + 1], opt(ARGV[A + 2]), tonumber(ARGV[A + 3])
local cursorLevel, cursorScore, cursorId = tonumber(ARGV[A + 4]), tonumber(ARGV[A + 5]), opt(ARGV[A + 6])

-- Up to n entries {id, score} of one index after (cs, cid), ascending or, with rev, descending.
local function pageOf(key, rev, cs, cid, n)
  local out = {}
  local function push(flat, keep)
    for i = 1, #flat, 2 do
      if #out < n and (keep == nil or keep(flat[i])) then out[#out + 1] = { flat[i], tonumber(flat[i + 1]) } end
    end
  end
  if cs == nil then
    if rev then push(redis.call('ZRANGE', key, '+inf', '-inf', 'BYSCORE', 'REV', 'LIMIT', 0, n, 'WITHSCORES'))
    else push(redis.call('ZRANGE', key, '-inf', '+inf', 'BYSCORE', 'LIMIT', 0, n, 'WITHSCORES')) end
    return out
  end
  if cid then
    -- The job of the cursor is still there: continue from its rank.
    local score = redis.call('ZSCORE', key, cid)
    if score and tonumber(score) == cs then
      if rev then
        local rank = redis.call('ZREVRANK', key, cid)
        push(redis.call('ZRANGE', key, rank + 1, rank + n, 'REV', 'WITHSCORES'))
      else
        local rank = redis.call('ZRANK', key, cid)
        push(redis.call('ZRANGE', key, rank + 1, rank + n, 'WITHSCORES'))
      end
      return out
    end
  end
  -- It left: the entries of the same score after its id, then those beyond its score.
  local s = jsonNumber(cs)
  if rev then
    push(redis.call('ZRANGE', key, s, s, 'BYSCORE', 'REV', 'WITHSCORES'),
      function(id) return cid == nil or id < cid end)
    if #out < n then
      push(redis.call('ZRANGE', key, '(' .. s, '-inf', 'BYSCORE', 'REV', 'LIMIT', 0, n - #out, 'WITHSCORES'))
    end
  else
    push(redis.call('ZRANGE', key, s, s, 'BYSCORE', 'WITHSCORES'),
      function(id) return cid == nil or id > cid end)
    if #out < n then
      push(redis.call('ZRANGE', key, '(' .. s, '+inf', 'BYSCORE', 'LIMIT', 0, n - #out, 'WITHSCORES'))
    end
  end
  return out
end

local function before(a, b, rev)
  if a[2] ~= b[2] then
    if rev then return a[2] > b[2] end
    return a[2] < b[2]
  end
  if rev then return a[1] > b[1] end
  return a[1] < b[1]
end

-- The first n entries after the cursor over several indexes (a merge: one range read each).
local function pageOfMany(keys, rev, cs, cid, n)
  local all = {}
  for _, key in ipairs(keys) do
    for _, entry in ipairs(pageOf(key, rev, cs, cid, n)) do all[#all + 1] = entry end
  end
  table.sort(all, function(a, b) return before(a, b, rev) end)
  local out = {}
  for i = 1, math.min(n, #all) do out[i] = all[i] end
  return out
end

-- Up to n live entries {id, seq} of one queue list after position (cs, cid), in list order.
local function listPage(list, cs, cid, n)
  local len = redis.pcall('LLEN', list)
  if type(len) ~= 'number' or len == 0 then return {} end
  local start = 0
  if cs ~= nil then
    local pos = cid and redis.call('LPOS', list, jsonNumber(cs) .. ':' .. cid)
    if pos then
      start = pos + 1
    else
      local lo, hi = 0, len
      while lo < hi do
        local mid = math.floor((lo + hi) / 2)
        local seq = parseEntry(redis.call('LINDEX', list, mid))
        if seq and tonumber(seq) <= cs then lo = mid + 1 else hi = mid end
      end
      start = lo
    end
  end
  local out = {}
  while #out < n and start < len do
    local chunk = redis.call('LRANGE', list, start, start + n - 1)
    if #chunk == 0 then break end
    for _, entry in ipairs(chunk) do
      local seq, id = parseEntry(entry)
      if seq and #out < n then
        local r = readFields(jobKey(id), { 'status', 'seq' })
        if r and r[1] == 'queued' and r[2] == seq then out[#out + 1] = { id, tonumber(seq) } end
      end
    end
    start = start + #chunk
  end
  return out
end

local function listPageOfMany(lists, cs, cid, n)
  local all = {}
  for _, list in ipairs(lists) do
    for _, entry in ipairs(listPage(list, cs, cid, n)) do all[#all + 1] = entry end
  end
  table.sort(all, function(a, b) return before(a, b, false) end)
  local out = {}
  for i = 1, math.min(n, #all) do out[i] = all[i] end
  return out
end

local replies = {}
local found = 0
-- Adds the records of `entries` that are kept; returns the last entry looked at.
local function collect(entries, level)
  local last = nil
  for _, entry in ipairs(entries) do
    if found >= count then break end
    last = entry
    local record = redis.pcall('HGETALL', jobKey(entry[1]))
    if type(record) == 'table' and not record.err and #record > 0 then
      local fields = {}
      for i = 1, #record, 2 do fields[record[i]] = record[i + 1] end
      local current = fields.status == status
        and (status ~= 'queued' or tonumber(fields.seq) == entry[2])
        and (not FINISHED[status] or retained(status, fields.finishedAt))
      if current then
        replies[#replies + 1] = entry[1]
        replies[#replies + 1] = jsonNumber(entry[2])
        replies[#replies + 1] = level or ''
        replies[#replies + 1] = withParams(entry[1], record)
        found = found + 1
      end
    end
  end
  return last
end

-- Pages through one ordered source until `count` jobs are found or it runs dry.
local function walk(read, level, cs, cid)
  while found < count do
    local want = count - found
    local entries = read(cs, cid, want)
    if #entries == 0 then return end
    local last = collect(entries, level)
    if #entries < want or last == nil then return end
    cs, cid = last[2], last[1]
  end
end

local function typeList(key)
  local types = redis.pcall('SMEMBERS', key)
  if type(types) ~= 'table' or types.err then return {} end
  return types
end

if status == 'queued' then
  for level = cursorLevel or 2, 0, -1 do
    local keys = {}
    if name then keys[1] = listKey(level, name)
    else for _, jobType in ipairs(typeList(typesKey(level))) do keys[#keys + 1] = listKey(level, jobType) end end
    local cs, cid = nil, nil
    if level == cursorLevel then cs, cid = cursorScore, cursorId end
    walk(function(s, i, n) return listPageOfMany(keys, s, i, n) end, level, cs, cid)
    if found >= count then break end
  end
elseif status == 'scheduled' then
  local key = name and scheduledKey(name) or DUE
  walk(function(s, i, n) return pageOf(key, false, s, i, n) end, nil, cursorScore, cursorId)
elseif status == 'running' then
  local keys = {}
  if name then keys[1] = runningKey(name)
  else for _, jobType in ipairs(typeList(TYPES)) do keys[#keys + 1] = runningKey(jobType) end end
  walk(function(s, i, n) return pageOfMany(keys, false, s, i, n) end, nil, cursorScore, cursorId)
elseif FINISHED[status] then
  local keys = {}
  if name then keys[1] = finishedKey(status, name)
  else for _, jobType in ipairs(typeList(TYPES)) do keys[#keys + 1] = finishedKey(status, jobType) end end
  walk(function(s, i, n) return pageOfMany(keys, true, s, i, n) end, nil, cursorScore, cursorId)
end
return replies
