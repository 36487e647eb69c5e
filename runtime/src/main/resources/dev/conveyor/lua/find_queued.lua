-- Looks for a message in one page of the inbox by its task id, inside Redis, so that no payload
-- crosses the network; the caller runs it page after page, so Redis is never held for longer
-- than one page.
-- KEYS[1] the inbox; ARGV[1] the task id; ARGV[2] where to start (a stream id, or '-');
-- ARGV[3] '1' when the start is exclusive; ARGV[4] the page size.
-- A message's task id is its `id` field, or its stream id when it has none.
-- Returns {stream id of the match or '', entries read, the last entry id read or '', pipeline}.
local id = ARGV[1]
local start = ARGV[2]
if ARGV[3] == '1' then
  start = '(' .. start
end
local entries = redis.call('XRANGE', KEYS[1], start, '+', 'COUNT', tonumber(ARGV[4]))
for i, e in ipairs(entries) do
  local fields = e[2]
  local given = nil
  local pipeline = ''
  for j = 1, #fields, 2 do
    if fields[j] == 'id' then
      given = fields[j + 1]
    elseif fields[j] == 'pipeline' then
      pipeline = fields[j + 1]
    end
  end
  if given == id or (given == nil and e[1] == id) then
    return {e[1], tostring(i), e[1], pipeline}
  end
end
local last = ''
if #entries > 0 then
  last = entries[#entries][1]
end
return {'', tostring(#entries), last, ''}
