-- Test script for LuaScript.runAll: sets KEYS[1] to ARGV[1] and answers {ARGV[1], #KEYS, #ARGV};
-- answers nothing for 'nothing' and fails for 'fail'.
if ARGV[1] == 'fail' then
  return redis.error_reply('asked to fail')
end
redis.call('SET', KEYS[1], ARGV[1])
if ARGV[1] == 'nothing' then
  return
end
return {ARGV[1], #KEYS, #ARGV}
