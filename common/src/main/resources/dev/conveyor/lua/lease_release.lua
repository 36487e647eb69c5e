-- Gives a lease back if this holder has it. KEYS[1] the lease; ARGV[1] holder. Returns 1 if released.
local current = redis.call('GET', KEYS[1])
if current and string.match(current, '^(%S+) ') == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
