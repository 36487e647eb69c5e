-- Records one step's output for one part (or for the task, field 'task') and says what became
-- ready. Idempotent: recording the same output again changes nothing and answers the same.
-- KEYS[1] task meta, KEYS[2] dead parts hash, KEYS[3] this step's output hash,
-- KEYS[4 ..] output hashes the spec refers to by index (same hash tag as the task)
-- ARGV[1] field (part number or 'task'), ARGV[2] output, ARGV[3] spec (JSON):
--   {"successors":[{"name":"merge","wait":"same_item"|"all_parts","preds":[4,5]}],
--    "terminals":[{"key":6,"scope":"part"|"task"}]}
-- Returns: { complete (0|1), ready successor names ... }
local field = ARGV[1]
redis.call('HSET', KEYS[3], field, ARGV[2])
local spec = cjson.decode(ARGV[3])
local parts = tonumber(redis.call('HGET', KEYS[1], 'parts') or '0')
local dead = redis.call('HLEN', KEYS[2])

-- every part passed all of these hashes (or is dead); cheap counts first, then part by part
local function all_parts_in(keys)
  for _, k in ipairs(keys) do
    if redis.call('HLEN', KEYS[k]) + dead < parts then
      return false
    end
  end
  for i = 0, parts - 1 do
    local p = tostring(i)
    if redis.call('HEXISTS', KEYS[2], p) == 0 then
      for _, k in ipairs(keys) do
        if redis.call('HEXISTS', KEYS[k], p) == 0 then
          return false
        end
      end
    end
  end
  return true
end

local result = {0}
for _, s in ipairs(spec.successors) do
  local ready = true
  if s.wait == 'all_parts' then
    ready = all_parts_in(s.preds)
  else
    for _, k in ipairs(s.preds) do
      if redis.call('HEXISTS', KEYS[k], field) == 0 then
        ready = false
        break
      end
    end
  end
  if ready then
    table.insert(result, s.name)
  end
end

local complete = true
local part_terminals = {}
for _, t in ipairs(spec.terminals) do
  if t.scope == 'task' then
    if redis.call('HEXISTS', KEYS[t.key], 'task') == 0 then
      complete = false
    end
  else
    table.insert(part_terminals, t.key)
  end
end
if complete and #part_terminals > 0 then
  complete = all_parts_in(part_terminals)
end
if complete then
  result[1] = 1
end
return result
