-- Undoes reads that did not end in handling (an outage, a suspension: not the entry's fault): puts
-- the delivery count of each entry back to what it was before the read, so the next read of the
-- pending list does not count one more attempt. Only for an entry still pending on the consumer and
-- delivered exactly as often as right after that read: a read since (another reader, a crash that
-- came after) keeps its count. XCLAIM with JUSTID does not count a delivery itself.
-- KEYS[1] the stream
-- ARGV[1] the group, ARGV[2] the consumer, then pairs: entry id, its count right after the read
--   (-1 when unknown: the count is then lowered by one)
-- Returns how many counts were put back.
local restored = 0
for i = 3, #ARGV, 2 do
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1, ARGV[2])
  if #p == 1 then
    local now = tonumber(p[1][4])
    local after = tonumber(ARGV[i + 1])
    if now > 0 and (after < 0 or now == after) then
      redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'RETRYCOUNT', now - 1, 'JUSTID')
      restored = restored + 1
    end
  end
end
return restored
