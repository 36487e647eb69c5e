-- Finds a message still in the inbox by its task id, reading at most ARGV[4] entries inside Redis
-- (in pages of ARGV[5]) so that no payload crosses the network.
-- KEYS[1] the inbox; ARGV[1] the task id; ARGV[2] where to start (a stream id, or '-');
-- ARGV[3] '1' when the start is exclusive; ARGV[4] the most entries to read; ARGV[5] page size.
-- A message's task id is its `id` field, or its stream id when it has none.
-- Returns {stream id or '', entries read, '1' when the stream's end was reached, pipeline}.
local id = ARGV[1]
local start = ARGV[2]
if ARGV[3] == '1' then
  start = '(' .. start
end
local left = tonumber(ARGV[4])
local page = tonumber(ARGV[5])
local read = 0
while left > 0 do
  local n = math.min(page, left)
  local entries = redis.call('XRANGE', KEYS[1], start, '+', 'COUNT', n)
  for _, e in ipairs(entries) do
    read = read + 1
    local fields = e[2]
    local given = nil
    local pipeline = ''
    for i = 1, #fields, 2 do
      if fields[i] == 'id' then
        given = fields[i + 1]
      elseif fields[i] == 'pipeline' then
        pipeline = fields[i + 1]
      end
    end
    if given == id or (given == nil and e[1] == id) then
      return {e[1], tostring(read), '0', pipeline}
    end
  end
  if #entries < n then
    return {'', tostring(read), '1', ''}
  end
  start = '(' .. entries[#entries][1]
  left = left - #entries
end
return {'', tostring(read), '0', ''}
