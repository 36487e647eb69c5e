-- Re-opens a task for a replay of some of its dead items, atomically: the items are no longer
-- dead, the outputs they led to downstream (which were made without them) are forgotten, and the
-- task is no longer finished, so it completes again with a new outcome. Idempotent.
-- KEYS[1] task meta, KEYS[2] dead parts hash, KEYS[3 ..] output hashes to clear (same hash tag)
-- ARGV[1] n: the number of dead items, then n pairs (field, step): the dead field is removed only
--   when the step recorded it ('<step>: <error>'); then one field per output key: the field to clear
-- Returns 1, or 0 when the task's data is gone (it was cleaned up)
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
local n = tonumber(ARGV[1])
for i = 0, n - 1 do
  local field = ARGV[2 + 2 * i]
  local prefix = ARGV[3 + 2 * i] .. ': '
  local v = redis.call('HGET', KEYS[2], field)
  if v and string.sub(v, 1, #prefix) == prefix then
    redis.call('HDEL', KEYS[2], field)
  end
end
local first = 2 + 2 * n
for k = 3, #KEYS do
  redis.call('HDEL', KEYS[k], ARGV[first + k - 3])
end
local now = redis.call('TIME')
redis.call('HDEL', KEYS[1], 'finished_at')
redis.call('HSET', KEYS[1], 'progress_at', tostring(now[1] * 1000 + math.floor(now[2] / 1000)))
redis.call('HINCRBY', KEYS[1], 'replays', 1)
return 1
