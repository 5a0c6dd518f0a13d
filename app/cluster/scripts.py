"""The Lua scripts a cluster runs in Redis: each is atomic, so no two nodes see a half-done step.

Keys, under the prefix P:
- `P:node:{id}` hash: a node's record (app/cluster/base.py NodeRecord), expiring after
  `node_dead_after_seconds` unless its heartbeat renews it: a missing record is a dead node.
- `P:nodes` set: node ids ever seen (dead ones are dropped by the leader).
- `P:rooms:{id}` set: the meetings placed on node `id` (its load for placement).
- `P:place:{meeting}` hash {node, boot, at, seen, opened}: where the meeting's room lives,
  valid while its owner's record lives with the same boot; a lease the owner's heartbeat
  renews (`seen`), kept a while after the owner died so the node taking it over knows the
  gap; `opened` once a heartbeat found the room open (it is then held while open only).
- `P:leader` string: the node that runs the cluster-wide jobs, a lease like the others.
Times are Redis's own clock (TIME), the same for every node whatever their clocks say.
"""

from __future__ import annotations

_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

_ALIVE = """
local function alive(node, boot)
  return node and redis.call('HGET', P .. ':node:' .. node, 'boot') == boot
end
"""

# ARGV: prefix, meeting, candidate node, its boot, its max rooms (0: none), lease ms.
# -> {'placed', owner, '', ''}  the meeting is already held by a live node
#    {'new', candidate, previous owner or '', ms since the previous owner's last renewal or ''}
#    (how long ago, by Redis's clock: the node places it on its own, whatever their skew)
#    {'full', candidate, '', ''} / {'gone', candidate, '', ''}  try the next candidate
CLAIM = (
    "local P = ARGV[1]\n"
    + _NOW
    + _ALIVE
    + """
local m, cand, cand_boot = ARGV[2], ARGV[3], ARGV[4]
local max_rooms, lease = tonumber(ARGV[5]), tonumber(ARGV[6])
local pkey = P .. ':place:' .. m
local cur = redis.call('HMGET', pkey, 'node', 'boot', 'seen')
if cur[1] and alive(cur[1], cur[2]) then
  return {'placed', cur[1], '', ''}
end
local state = redis.call('HMGET', P .. ':node:' .. cand, 'boot', 'state')
if state[1] ~= cand_boot or state[2] ~= 'serving' then
  return {'gone', cand, '', ''}
end
local skey = P .. ':rooms:' .. cand
if max_rooms > 0 and redis.call('SCARD', skey) >= max_rooms then
  return {'full', cand, '', ''}
end
local previous, seen = '', ''
if cur[1] then
  previous, seen = cur[1], cur[3] or ''
  redis.call('SREM', P .. ':rooms:' .. cur[1], m)
end
redis.call('DEL', pkey)
redis.call('HSET', pkey, 'node', cand, 'boot', cand_boot, 'at', now, 'seen', now)
redis.call('PEXPIRE', pkey, lease)
redis.call('SADD', skey, m)
local ago = ''
if seen ~= '' then ago = tostring(math.max(0, now - tonumber(seen))) end
return {'new', cand, previous, ago}
"""
)

# ARGV: prefix, meeting -> {} when unplaced, else {owner, '1' if the owner lives else '0'}.
LOCATE = (
    "local P = ARGV[1]\n"
    + _ALIVE
    + """
local cur = redis.call('HMGET', P .. ':place:' .. ARGV[2], 'node', 'boot')
if not cur[1] then return {} end
return {cur[1], alive(cur[1], cur[2]) and '1' or '0'}
"""
)

# ARGV: prefix, node, boot, dead-after ms, lease ms, reservation ms, n, n record fields and
# values, then the meetings whose room is open on the node.
# Registers the node, renews the leases of the meetings it holds (open, or placed less than
# a reservation ago and not yet opened), releases the others (a room that has closed frees its
# place at the next beat), claims open rooms nobody holds (Redis restarted,
# a lease lapsed) and renews or takes the leadership. -> {leader, lost meeting, ...}: rooms
# open here that another live node now holds (this node was taken for dead): close them.
HEARTBEAT = (
    "local P = ARGV[1]\n"
    + _NOW
    + _ALIVE
    + """
local node, boot = ARGV[2], ARGV[3]
local dead_after, lease, reservation = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local nfields = tonumber(ARGV[7])
local nkey = P .. ':node:' .. node
local record = {}
for i = 8, 7 + nfields do record[#record + 1] = ARGV[i] end
redis.call('DEL', nkey)
redis.call('HSET', nkey, 'boot', boot, 'updated', now, unpack(record))
redis.call('PEXPIRE', nkey, dead_after)
redis.call('SADD', P .. ':nodes', node)
local open = {}
for i = 8 + nfields, #ARGV do open[ARGV[i]] = true end
local skey = P .. ':rooms:' .. node
local held, lost = {}, {}
for _, m in ipairs(redis.call('SMEMBERS', skey)) do
  local pkey = P .. ':place:' .. m
  local cur = redis.call('HMGET', pkey, 'node', 'boot', 'at', 'opened')
  if cur[1] ~= node or cur[2] ~= boot then
    redis.call('SREM', skey, m)
  elseif open[m] then
    redis.call('HSET', pkey, 'seen', now, 'opened', '1')
    redis.call('PEXPIRE', pkey, lease)
    held[m] = true
  elseif not cur[4] and now - tonumber(cur[3]) < reservation then
    redis.call('HSET', pkey, 'seen', now)
    redis.call('PEXPIRE', pkey, lease)
    held[m] = true
  else
    redis.call('DEL', pkey)
    redis.call('SREM', skey, m)
  end
end
for m, _ in pairs(open) do
  if not held[m] then
    local pkey = P .. ':place:' .. m
    local cur = redis.call('HMGET', pkey, 'node', 'boot')
    if cur[1] and not (cur[1] == node and cur[2] == boot) and alive(cur[1], cur[2]) then
      lost[#lost + 1] = m
    else
      if cur[1] then redis.call('SREM', P .. ':rooms:' .. cur[1], m) end
      redis.call('DEL', pkey)
      redis.call('HSET', pkey, 'node', node, 'boot', boot, 'at', now, 'seen', now,
                 'opened', '1')
      redis.call('PEXPIRE', pkey, lease)
      redis.call('SADD', skey, m)
    end
  end
end
local lkey = P .. ':leader'
local leader = redis.call('GET', lkey)
if leader == node then
  redis.call('PEXPIRE', lkey, dead_after)
elseif not leader then
  redis.call('SET', lkey, node, 'PX', dead_after)
  leader = node
end
local result = {leader}
for _, m in ipairs(lost) do result[#result + 1] = m end
return result
"""
)

# ARGV: prefix, node, boot. A node leaving on purpose: its meetings are free at once (their
# seats, told to come back, are placed again without waiting for the lease to lapse).
RELEASE = """
local P, node, boot = ARGV[1], ARGV[2], ARGV[3]
local skey = P .. ':rooms:' .. node
for _, m in ipairs(redis.call('SMEMBERS', skey)) do
  local pkey = P .. ':place:' .. m
  local cur = redis.call('HMGET', pkey, 'node', 'boot')
  if cur[1] == node and cur[2] == boot then redis.call('DEL', pkey) end
end
redis.call('DEL', skey)
if redis.call('HGET', P .. ':node:' .. node, 'boot') == boot then
  redis.call('DEL', P .. ':node:' .. node)
  redis.call('SREM', P .. ':nodes', node)
end
if redis.call('GET', P .. ':leader') == node then redis.call('DEL', P .. ':leader') end
return 1
"""

# KEYS: the bucket. ARGV: rate per second, burst. -> seconds to wait ('0': pass), as text
# (Lua numbers come back from Redis as integers).
TOKEN_BUCKET = """
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(bucket[1]) or burst
local ts = tonumber(bucket[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
local wait = 0
if tokens < 1 then wait = (1 - tokens) / rate else tokens = tokens - 1 end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return tostring(wait)
"""
