-- Test script: sets KEYS[1] to ARGV[1] and returns the number of keys and args it was given.
redis.call('SET', KEYS[1], ARGV[1])
return #KEYS + #ARGV
