-- Takes back a registration that turned out to be a duplicate of a task that finished meanwhile
-- (its audit row appeared between the dispatcher's duplicate check and register_task): deletes
-- the task's meta and parts, but only if this inbox entry registered them and nothing was fanned
-- out yet. Idempotent.
-- KEYS[1] task meta hash, KEYS[2] task parts hash (same hash tag)
-- ARGV[1] the inbox stream id that registered it
-- Returns 1 when deleted now, 0 otherwise.
local f = redis.call('HMGET', KEYS[1], 'stream_id', 'dispatched', 'finished_at')
if f[1] ~= ARGV[1] or f[2] or f[3] then
  return 0
end
redis.call('DEL', KEYS[1], KEYS[2])
return 1
