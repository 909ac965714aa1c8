-- decide: settles one visit (after common.lua).
-- ARGV 11 op (a arrive, p poll, t touch), 12 session id, 13 ticket,
-- 14 cookie issued, 15 cookie expiry, 16 score in an event's draw.
-- Returns {outcome, now, ticket, position, waiting, active,
-- admitted in the last minute, window, flags}: outcome 1 admitted,
-- 2 queued, 3 passed, 4 full; flags 1 joined, 2 claimed, 4 bad cookie,
-- 8 paused, 16 before the start.
local OP, SID = ARGV[11], ARGV[12]
local TICKET, ISSUED, EXPIRY = tonumber(ARGV[13]), tonumber(ARGV[14]), tonumber(ARGV[15])
local NOW = S.NOW

local flags = 0
if S.MODE == 'pause' then flags = flags + 8 end
if OP ~= 'a' and (ISSUED <= S.EPOCH or EXPIRY <= NOW) then
	-- From before a reset (or its millisecond: a visit settled just before
	-- it has the same time), or expired: the visitor arrives anew.
	flags = flags + 4
	OP = 'a'
	redis.call('ZREM', KEYS[K_LINE], SID)
	redis.call('ZREM', KEYS[K_RES], SID)
	redis.call('ZREM', KEYS[K_POLL], SID)
	redis.call('ZREM', KEYS[K_ACT], SID)
end

local ph = phase(S)
if S.MODE == 'passthrough' or ph == 'before' or ph == 'after' then
	if OP == 't' then
		redis.call('ZADD', KEYS[K_ACT], NOW, SID)
		touched(S, K_ACT, true)
		expire(S)
		return {1, NOW, TICKET, 0, 0, 0, 0, 0, flags}
	end
	if OP == 'p' and redis.call('ZSCORE', KEYS[K_POLL], SID) then
		redis.call('ZADD', KEYS[K_POLL], NOW, SID)
	end
	expire(S)
	return {3, NOW, TICKET, 0, 0, 0, 0, 0, flags}
end

housekeep(S, ph)
local nres, nline = S.nres, S.nline

if OP == 't' then
	local new = redis.call('ZADD', KEYS[K_ACT], NOW, SID)
	touched(S, K_ACT, new == 1)
	expire(S)
	return {1, NOW, TICKET, 0, nline + nres, -1, 0, 0, flags}
end

if ph == 'pre' then
	flags = flags + 16
	if OP == 'p' and redis.call('ZSCORE', KEYS[K_POLL], SID) then
		redis.call('ZADD', KEYS[K_POLL], NOW, SID)
		expire(S)
		return {2, NOW, TICKET, 0, nline + nres, -1, 0, 0, flags}
	end
end

if OP == 'p' and ph == 'open' then
	local rank = redis.call('ZRANK', KEYS[K_LINE], SID)
	if rank then
		redis.call('ZADD', KEYS[K_POLL], NOW, SID)
		local pos = 0
		if not S.RANDOM then pos = nres + rank + 1 end
		local u, w = used(S), window(S)
		expire(S)
		return {2, NOW, TICKET, pos, nline + nres, -1, u, w, flags}
	end
	if redis.call('ZSCORE', KEYS[K_RES], SID) then
		redis.call('ZREM', KEYS[K_RES], SID)
		redis.call('ZREM', KEYS[K_POLL], SID)
		redis.call('ZADD', KEYS[K_ACT], NOW, SID)
		touched(S, K_ACT, true)
		expire(S)
		return {1, NOW, TICKET, 0, nline + nres - 1, -1, 0, 0, flags + 2}
	end
	if redis.call('ZSCORE', KEYS[K_ACT], SID) then
		redis.call('ZADD', KEYS[K_ACT], NOW, SID)
		expire(S)
		return {1, NOW, TICKET, 0, nline + nres, -1, 0, 0, flags}
	end
	-- The place was given up: the visitor joins again, at the end.
end

if ph == 'open' and S.MODE == 'auto' and nline == 0 and budget(S, S.A - active(S) - nres) >= 1 then
	redis.call('ZADD', KEYS[K_ACT], NOW, SID)
	touched(S, K_ACT, S.nact == 0)
	admitted(S, 1)
	expire(S)
	return {1, NOW, TICKET, 0, nline + nres, S.nact + 1, 0, 0, flags}
end
if nline + nres >= S.MAXQ then
	local u, w = 0, 0
	if ph == 'open' then u, w = used(S), window(S) end
	expire(S)
	return {4, NOW, TICKET, 0, nline + nres, -1, u, w, flags}
end

-- A ticket: a place in the draw before an event's start, else at the end of
-- the line.
local tk = redis.call('HINCRBY', KEYS[K_CFG], 'seq', 1)
local score = 1099511627776 + tk
if ph == 'pre' then score = tonumber(ARGV[16]) end
redis.call('ZADD', KEYS[K_LINE], score, SID)
redis.call('ZADD', KEYS[K_POLL], NOW, SID)
touched(S, K_LINE, nline == 0)
touched(S, K_POLL, nline + nres == 0)
expire(S)
if ph == 'pre' then
	return {2, NOW, tk, 0, nline + nres + 1, -1, 0, 0, flags + 1}
end
local pos = 0
if not S.RANDOM then pos = nres + nline + 1 end
return {2, NOW, tk, pos, nline + nres + 1, active(S), used(S), window(S), flags + 1}
