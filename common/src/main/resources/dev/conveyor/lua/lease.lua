-- Takes or keeps a lease: one holder at a time, with a fencing token that grows at each new holder.
-- KEYS[1] the lease (string "<holder> <token>", with a TTL), KEYS[2] the fencing counter (same tag)
-- ARGV[1] holder, ARGV[2] ttl (ms)
-- Returns the holder's token, or -1 when another holder has the lease.
local current = redis.call('GET', KEYS[1])
if current then
  local holder, token = string.match(current, '^(%S+) (%d+)$')
  if holder == ARGV[1] then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return tonumber(token)
  end
  return -1
end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. token, 'PX', ARGV[2])
return token
