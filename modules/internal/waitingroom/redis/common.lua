-- The part every waiting-room script starts with: the room's keys, its
-- settings, the clock and the housekeeping. The rules are those of the
-- memory store (memory.go), step for step.
--
-- KEYS: 1 cfg (mode, admin overrides, reset epoch, and the counters: ticket
-- numbers, first admission, pacing; never expires), 2 line (waiting visitor
-- -> order), 3 res (visitor with a reserved place -> when), 4 poll (waiting
-- visitor -> last poll), 5 act (session -> last request), 6 adm (second ->
-- admissions). All share the room's hash tag, so they live in one Redis
-- Cluster slot.
--
-- ARGV: 1 active_users, 2 new_users_per_minute (0: active_users),
-- 3 session_duration ms, 4 refresh ms, 5 random (1/0), 6 prequeue ms,
-- 7 start ms (0: no event), 8 end ms (0: none), 9 max queued, 10 seed,
-- then the script's own. Times are unix milliseconds on Redis's clock.
--
-- The call's state is one table, S, passed to the helpers: functions that
-- capture many locals cost more to create than the script's commands, and
-- they are created on every call.
local K_CFG, K_LINE, K_RES, K_POLL, K_ACT, K_ADM = 1, 2, 3, 4, 5, 6

-- Keys other than cfg expire when the room has been idle this long (ms).
local TTL = 48 * 3600 * 1000
-- Idle sessions and visitors who stopped polling are swept at most this
-- often (ms): they are dropped at most that late.
local SWEEP = 100

local t = redis.call('TIME')
local S = {
	A = tonumber(ARGV[1]), N = tonumber(ARGV[2]),
	SD = tonumber(ARGV[3]), R = tonumber(ARGV[4]),
	RANDOM = ARGV[5] == '1',
	PRE = tonumber(ARGV[6]), START = tonumber(ARGV[7]), STOP = tonumber(ARGV[8]),
	MAXQ = tonumber(ARGV[9]),
	SEED = tonumber(ARGV[10]) % 2147483646 + 1,
	NOW = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000),
	dirty = {},
}
S.SEC = math.floor(S.NOW / 1000)

-- The room's settings and counters, read once: the mode, the admin API's
-- limits and the reset epoch; the pacing of admissions (tat), the first
-- admission (t0), the admissions of the last minute as counted at second
-- usec (uval), the last housekeeping (hk) and the last refresh of the keys'
-- expiry (ttl).
local c = redis.call('HMGET', KEYS[K_CFG], 'mode', 'active_users', 'new_users_per_minute', 'epoch',
	'tat', 't0', 'usec', 'uval', 'hk', 'ttl')
S.MODE = c[1] or 'auto'
S.A_SET, S.N_SET = c[2] ~= false, c[3] ~= false
if S.A_SET then S.A = tonumber(c[2]) end
if S.N_SET then S.N = tonumber(c[3]) end
if S.N <= 0 then S.N = S.A end
if S.A < 1 then S.A = 1 end
if S.N < 1 then S.N = 1 end
S.EPOCH = tonumber(c[4]) or 0
S.TAT, S.T0 = tonumber(c[5]) or 0, tonumber(c[6])
S.USEC, S.UVAL = tonumber(c[7]), tonumber(c[8])
S.HK, S.TTLAT = tonumber(c[9]) or 0, tonumber(c[10]) or 0

-- phase is where the clock stands in the event: open, before (everyone
-- passes), pre (the draw), after (everyone passes).
local function phase(S)
	if S.START == 0 then return 'open' end
	if S.NOW < S.PRE then return 'before' end
	if S.NOW < S.START then return 'pre' end
	if S.STOP > 0 and S.NOW >= S.STOP then return 'after' end
	return 'open'
end

-- Keys get their expiry when created (touched(S, k, true)) and all of them
-- again once a minute.
local function touched(S, k, created)
	if created then S.dirty[k] = true end
end

local function expire(S)
	if S.NOW - S.TTLAT >= 60000 or S.NOW < S.TTLAT then
		redis.call('HSET', KEYS[K_CFG], 'ttl', S.NOW)
		for k = 2, 6 do redis.call('PEXPIRE', KEYS[k], TTL) end
		return
	end
	for k in pairs(S.dirty) do redis.call('PEXPIRE', KEYS[k], TTL) end
end

-- used is the admissions in the last 60 one-second buckets (older ones are
-- dropped), counted at most once a second.
local function used(S)
	if S.USEC == S.SEC then return S.UVAL end
	local h = redis.call('HGETALL', KEYS[K_ADM])
	local total, stale = 0, {}
	for i = 1, #h, 2 do
		local s = tonumber(h[i])
		if s <= S.SEC - 60 or s > S.SEC then
			stale[#stale + 1] = h[i]
		else
			total = total + tonumber(h[i + 1])
		end
	end
	if #stale > 0 then redis.call('HDEL', KEYS[K_ADM], unpack(stale)) end
	S.USEC, S.UVAL = S.SEC, total
	redis.call('HSET', KEYS[K_CFG], 'usec', S.SEC, 'uval', total)
	return total
end

local function window(S)
	if not S.T0 then return 0 end
	return math.min(60000, S.NOW - S.T0)
end

-- budget is how many may be admitted now: no more than free places, than N
-- in the last minute, and than the pace of N per minute allows (a second's
-- worth at once).
local function budget(S, free)
	if free <= 0 then return 0 end
	local interval = 60000 / S.N
	local burst = math.max(1, math.ceil(S.N / 60))
	local tat = math.max(S.TAT, S.NOW)
	local paced = math.floor((S.NOW + burst * interval - tat) / interval)
	local b = math.min(free, S.N - used(S), paced)
	if b < 0 then return 0 end
	return b
end

-- admitted counts k admissions.
local function admitted(S, k)
	local before = used(S) -- counted before this admission's bucket changes
	redis.call('HINCRBY', KEYS[K_ADM], S.SEC, k)
	S.TAT = math.max(S.TAT, S.NOW) + k * 60000 / S.N
	S.UVAL = S.UVAL + k
	if not S.T0 then S.T0 = S.NOW end
	redis.call('HSET', KEYS[K_CFG], 'tat', string.format('%.3f', S.TAT), 't0', S.T0, 'uval', S.UVAL)
	touched(S, K_ADM, before == 0)
end

-- rand draws lots with Park and Miller's minimal standard generator.
local function rand(S, n)
	S.SEED = (S.SEED * 48271) % 2147483647
	return S.SEED % n
end

-- housekeep counts the room (S.nres, S.nline) and, at most every SWEEP ms,
-- ends idle sessions, drops visitors who stopped polling, counts the
-- sessions (S.nact) and reserves the free places for the first in line (or
-- for visitors drawn by lot). Places free only in a sweep (or when the
-- limits change), so reserving them there loses nothing.
local function housekeep(S, ph)
	local sweep = S.NOW - S.HK >= SWEEP or S.NOW < S.HK
	if sweep then
		redis.call('ZREMRANGEBYSCORE', KEYS[K_ACT], '-inf', '(' .. (S.NOW - S.SD))
		local gone = redis.call('ZRANGEBYSCORE', KEYS[K_POLL], '-inf', '(' .. (S.NOW - 3 * S.R), 'LIMIT', 0, 500)
		if #gone > 0 then
			redis.call('ZREM', KEYS[K_POLL], unpack(gone))
			redis.call('ZREM', KEYS[K_LINE], unpack(gone))
			redis.call('ZREM', KEYS[K_RES], unpack(gone))
		end
		redis.call('HSET', KEYS[K_CFG], 'hk', S.NOW)
		S.nact = redis.call('ZCARD', KEYS[K_ACT])
	end
	S.nres = redis.call('ZCARD', KEYS[K_RES])
	S.nline = redis.call('ZCARD', KEYS[K_LINE])
	if not sweep or ph ~= 'open' or S.MODE == 'pause' or S.nline == 0 then return end
	local k = math.min(S.nline, budget(S, S.A - S.nact - S.nres))
	if k <= 0 then return end
	local picked
	if S.RANDOM then
		picked = {}
		for i = 1, k do
			local idx = rand(S, S.nline)
			local m = redis.call('ZRANGE', KEYS[K_LINE], idx, idx)[1]
			redis.call('ZREM', KEYS[K_LINE], m)
			S.nline = S.nline - 1
			picked[i] = m
		end
	else
		picked = redis.call('ZRANGE', KEYS[K_LINE], 0, k - 1)
		redis.call('ZREMRANGEBYRANK', KEYS[K_LINE], 0, k - 1)
		S.nline = S.nline - k
	end
	local args = {}
	for i, m in ipairs(picked) do
		args[2 * i - 1] = S.NOW
		args[2 * i] = m
	end
	redis.call('ZADD', KEYS[K_RES], unpack(args))
	touched(S, K_RES, S.nres == 0)
	S.nres = S.nres + k
	admitted(S, k)
end

-- active is the number of sessions (counted once per call).
local function active(S)
	if not S.nact then S.nact = redis.call('ZCARD', KEYS[K_ACT]) end
	return S.nact
end
