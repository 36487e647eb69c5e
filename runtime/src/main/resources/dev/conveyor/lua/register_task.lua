-- Registers a task and its parts, once.
-- KEYS[1] task meta hash, KEYS[2] task parts hash (same hash tag)
-- ARGV[1] pipeline, ARGV[2] version, ARGV[3] part count n, ARGV[4] inbox stream id,
-- ARGV[5] received time (ms), ARGV[6 .. 5+n] the parts' inputs
-- Returns: 'new'       registered now
--          'resume'    registered earlier from this same inbox entry, fan-out not confirmed: redo it
--          'done'      this same inbox entry was fully handled before (a re-pass after a crash)
--          'duplicate' another inbox entry registered this task id
local meta = KEYS[1]
if redis.call('EXISTS', meta) == 1 then
  local f = redis.call('HMGET', meta, 'stream_id', 'dispatched', 'finished_at')
  if f[1] ~= ARGV[4] then
    return 'duplicate'
  end
  if f[2] or f[3] then
    return 'done'
  end
  return 'resume'
end
local n = tonumber(ARGV[3])
redis.call('HSET', meta, 'pipeline', ARGV[1], 'version', ARGV[2], 'parts', ARGV[3],
  'stream_id', ARGV[4], 'received_at', ARGV[5], 'progress_at', ARGV[5])
-- why: one HSET per 500 parts, not one per part; unpack() has a limit on how many it spreads
local fields = {}
for i = 0, n - 1 do
  fields[#fields + 1] = tostring(i)
  fields[#fields + 1] = ARGV[6 + i]
  if #fields == 1000 then
    redis.call('HSET', KEYS[2], unpack(fields))
    fields = {}
  end
end
if #fields > 0 then
  redis.call('HSET', KEYS[2], unpack(fields))
end
return 'new'
