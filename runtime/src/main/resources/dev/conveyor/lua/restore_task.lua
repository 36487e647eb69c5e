-- Brings back a task's runtime data from its snapshot (a replay of a task patrol cleaned up), all
-- or nothing, and only when the task has no data in Redis: an existing task is never overwritten.
-- KEYS[1] task meta, KEYS[2] parts hash, KEYS[3] dead hash, KEYS[4 ..] output hashes (same tag)
-- ARGV[1] the snapshot (JSON: {"meta": {...}, "parts": {...}, "dead": {...}, "outputs": {...}}),
-- ARGV[2 ..] the step of each output hash, in the order of KEYS[4 ..]
-- Returns 1 when restored, 0 when the task's meta exists (nothing written)
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
local s = cjson.decode(ARGV[1])
local function put(key, hash)
  if type(hash) ~= 'table' then
    return
  end
  for field, value in pairs(hash) do
    redis.call('HSET', key, field, value)
  end
end
put(KEYS[1], s['meta'])
put(KEYS[2], s['parts'])
put(KEYS[3], s['dead'])
for i = 2, #ARGV do
  put(KEYS[i + 2], s['outputs'][ARGV[i]])
end
return 1
