-- Moves a failed item from a step queue to the queue's retry set, atomically: it is taken off the
-- queue (acknowledged) and due again at a time.
-- KEYS[1] the step queue (stream), KEYS[2] its retry set (same hash tag)
-- ARGV[1] consumer group, ARGV[2] the queue entry id, or '' for an item no entry carried (a
-- co-located step ran it at once: there is nothing to acknowledge), ARGV[3] due time (ms),
-- ARGV[4] the item (member: task, part and attempts so far, as the queue entry fields in JSON)
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
if ARGV[2] == '' then
  return 0
end
return redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
