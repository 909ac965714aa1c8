-- decide: settles one visit (after common.lua).
-- ARGV 11 op (a arrive, p poll, t touch), 12 session id, 13 ticket,
-- 14 cookie issued, 15 cookie expiry, 16 score in an event's draw.
-- Returns {outcome, now, ticket, position, waiting, active,
-- admitted in the last minute, window, flags}: outcome 1 admitted,
-- 2 queued, 3 passed, 4 full; flags 1 joined, 2 claimed, 4 bad cookie,
-- 8 paused, 16 before the start.
local OP, SID = ARGV[11], ARGV[12]
local TICKET, ISSUED, EXPIRY = tonumber(ARGV[13]), tonumber(ARGV[14]), tonumber(ARGV[15])
local DRAW = tonumber(ARGV[16])

load()
local flags = 0
if MODE == 'pause' then flags = flags + 8 end
if OP ~= 'a' and (ISSUED < EPOCH or EXPIRY <= NOW) then
	-- From before a reset, or expired: the visitor arrives anew.
	flags = flags + 4
	OP = 'a'
	redis.call('ZREM', K_LINE, SID)
	redis.call('ZREM', K_RES, SID)
	redis.call('ZREM', K_POLL, SID)
	redis.call('ZREM', K_ACT, SID)
end

local function touch(created)
	redis.call('ZADD', K_ACT, NOW, SID)
	touched(K_ACT, created)
end

local ph = phase()
if MODE == 'passthrough' or ph == 'before' or ph == 'after' then
	if OP == 't' then
		touch(true)
		expire()
		return {1, NOW, TICKET, 0, 0, 0, 0, 0, flags}
	end
	if OP == 'p' and redis.call('ZSCORE', K_POLL, SID) then
		redis.call('ZADD', K_POLL, NOW, SID)
	end
	expire()
	return {3, NOW, TICKET, 0, 0, 0, 0, 0, flags}
end

housekeep(ph)

if OP == 't' then
	local new = redis.call('ZADD', K_ACT, NOW, SID)
	touched(K_ACT, nact == 0)
	expire()
	return {1, NOW, TICKET, 0, nline + nres, nact + new, 0, 0, flags}
end

-- join gives the visitor a ticket: a place in the draw when draw is set,
-- else at the end of the line.
local function join(draw)
	local tk = redis.call('HINCRBY', K_ST, 'seq', 1)
	redis.call('ZADD', K_LINE, draw or (1099511627776 + tk), SID)
	redis.call('ZADD', K_POLL, NOW, SID)
	touched(K_ST, tk == 1)
	touched(K_LINE, nline == 0)
	touched(K_POLL, nline + nres == 0)
	return tk
end

if ph == 'pre' then
	flags = flags + 16
	if OP == 'p' and redis.call('ZSCORE', K_POLL, SID) then
		redis.call('ZADD', K_POLL, NOW, SID)
		expire()
		return {2, NOW, TICKET, 0, nline + nres, nact, 0, 0, flags}
	end
	if nline + nres >= MAXQ then
		expire()
		return {4, NOW, TICKET, 0, nline + nres, nact, 0, 0, flags}
	end
	local tk = join(DRAW)
	expire()
	return {2, NOW, tk, 0, nline + nres + 1, nact, 0, 0, flags + 1}
end

if OP == 'p' then
	local rank = redis.call('ZRANK', K_LINE, SID)
	if rank then
		redis.call('ZADD', K_POLL, NOW, SID)
		local pos = 0
		if not RANDOM then pos = nres + rank + 1 end
		local u, w = used(), window()
		expire()
		return {2, NOW, TICKET, pos, nline + nres, nact, u, w, flags}
	end
	if redis.call('ZSCORE', K_RES, SID) then
		redis.call('ZREM', K_RES, SID)
		redis.call('ZREM', K_POLL, SID)
		touch(nact == 0)
		expire()
		return {1, NOW, TICKET, 0, nline + nres - 1, nact + 1, 0, 0, flags + 2}
	end
	if redis.call('ZSCORE', K_ACT, SID) then
		touch(false)
		expire()
		return {1, NOW, TICKET, 0, nline + nres, nact, 0, 0, flags}
	end
	-- The place was given up: the visitor joins again, at the end.
end

if MODE == 'auto' and nline == 0 and budget(A - nact - nres) >= 1 then
	touch(nact == 0)
	admitted(1)
	expire()
	return {1, NOW, TICKET, 0, nline + nres, nact + 1, 0, 0, flags}
end
if nline + nres >= MAXQ then
	local u, w = used(), window()
	expire()
	return {4, NOW, TICKET, 0, nline + nres, nact, u, w, flags}
end
local tk = join(nil)
local pos = 0
if not RANDOM then pos = nres + nline + 1 end
local u, w = used(), window()
expire()
return {2, NOW, tk, pos, nline + nres + 1, nact, u, w, flags + 1}
