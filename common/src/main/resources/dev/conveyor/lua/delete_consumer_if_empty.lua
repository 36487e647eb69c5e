-- Deletes a consumer from a group only if nothing is pending on it, atomically: XGROUP DELCONSUMER
-- drops the consumer's pending entries with it, and an entry read between a separate check and the
-- delete would be neither pending nor new any more — lost to the group.
-- KEYS[1] the stream
-- ARGV[1] the group, ARGV[2] the consumer
-- Returns 1 when the consumer was deleted, 0 when it holds pending entries (or did not exist).
if #redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2]) > 0 then
  return 0
end
for _, c in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
  for i = 1, #c, 2 do
    if c[i] == 'name' and c[i + 1] == ARGV[2] then
      redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
      return 1
    end
  end
end
return 0
