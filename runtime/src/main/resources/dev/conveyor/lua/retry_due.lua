-- Puts items whose retry is due back on their step queue, atomically, at most ARGV[2] of them.
-- KEYS[1] the step queue (stream), KEYS[2] its retry set (same hash tag)
-- ARGV[1] now (ms), ARGV[2] how many at most
-- Returns how many were moved.
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, member in ipairs(due) do
  local item = cjson.decode(member)
  redis.call('XADD', KEYS[1], '*', 't', item.t, 'p', item.p, 'a', tostring(item.a))
  redis.call('ZREM', KEYS[2], member)
end
return #due
