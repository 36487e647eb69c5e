-- Notes that a task finished (its audit row is written), unless its data is gone: a task cleaned
-- up already must not get back a meta that nothing would ever delete.
-- KEYS[1] task meta
-- ARGV[1] finished time (ms)
-- Returns 1 when noted, 0 when the meta is gone.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
redis.call('HSET', KEYS[1], 'finished_at', ARGV[1])
return 1
