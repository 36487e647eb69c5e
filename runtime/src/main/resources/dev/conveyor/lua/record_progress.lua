-- Records what a step made of one item — its output, or that the item is dead — and says what
-- became ready. Idempotent: recording the same thing again changes nothing and answers the same.
-- KEYS[1] task meta, KEYS[2] dead parts hash, KEYS[3] this step's output hash,
-- KEYS[4 ..] output hashes the spec refers to by index (all under the task's hash tag)
-- ARGV[1] 'output' or 'dead'
-- ARGV[2] field: the part number, or 'task' for an item that stands for the whole task
-- ARGV[3] the output (for 'output'), or '<step>: <error>' (for 'dead')
-- ARGV[5] the step's name (the meta field out:<step> lists the task's output hashes for cleanup)
-- ARGV[6] now, in ms since the epoch, by the recorder's clock (the meta's progress_at; registration
--   writes it by the dispatcher's). why: not redis.call('TIME'), which cost ~2 µs of a ~12 µs call
-- ARGV[7 ..] for 'output' only: pairs (step, output) of co-located steps before this one, recorded
--   in the same call (this step ran on their output in the same tick); their output hashes are the
--   last KEYS, in the same order. The successors and terminals are this step's alone.
-- ARGV[4] spec (JSON):
--   {"successors":[{"name":"merge","wait":"same_item"|"all_parts","preds":[4,5]}],
--    "terminals":[{"key":6,"scope":"part"|"task"}]}
--   For 'output' the successors are this step's; for 'dead' they are every step of the pipeline
--   that gathers all parts (a dead part may be the last one such a step waits for).
-- Returns: { complete (0|1), ready successor names ... }; {0} and no write at all when the task's
-- meta is gone: a late redelivery of a task cleaned up already must not bring back keys of it that
-- nothing would ever delete.
-- why: a live meta always holds 'parts'; EXISTS only when it does not (a command fewer per call)
local parts = redis.call('HGET', KEYS[1], 'parts')
if not parts and redis.call('EXISTS', KEYS[1]) == 0 then
  return {0}
end
parts = tonumber(parts or '0')
local mode = ARGV[1]
local field = ARGV[2]
local now_ms = ARGV[6]
if mode == 'output' then
  redis.call('HSET', KEYS[3], field, ARGV[3])
  redis.call('HSET', KEYS[1], 'progress_at', now_ms, 'out:' .. ARGV[5], '1')
  local earlier = (#ARGV - 6) / 2
  for j = 1, earlier do
    redis.call('HSET', KEYS[#KEYS - earlier + j], field, ARGV[6 + 2 * j])
    redis.call('HSET', KEYS[1], 'out:' .. ARGV[5 + 2 * j], '1')
  end
else
  redis.call('HSET', KEYS[2], field, ARGV[3])
  redis.call('HSET', KEYS[1], 'progress_at', now_ms)
end
local spec = cjson.decode(ARGV[4])
local dead = redis.call('HLEN', KEYS[2])
local task_dead = dead > 0 and redis.call('HEXISTS', KEYS[2], 'task') == 1

-- every part passed all of these hashes (or is dead); cheap counts first, then part by part
local function all_parts_in(keys)
  for _, k in ipairs(keys) do
    if redis.call('HLEN', KEYS[k]) + dead < parts then
      return false
    end
  end
  for i = 0, parts - 1 do
    local p = tostring(i)
    if dead == 0 or redis.call('HEXISTS', KEYS[2], p) == 0 then
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
if not task_dead then
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
end

local complete = true
local part_terminals = {}
for _, t in ipairs(spec.terminals) do
  if t.scope == 'task' then
    if redis.call('HEXISTS', KEYS[t.key], 'task') == 0 and not task_dead then
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
