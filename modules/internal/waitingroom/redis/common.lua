-- The part every waiting-room script starts with: the room's keys, its
-- settings, the clock and the housekeeping. The rules are those of the
-- memory store (memory.go), step for step.
--
-- KEYS: 1 cfg (mode, admin overrides, epoch; never expires), 2 st (ticket
-- counter, first admission, pacing), 3 line (waiting visitor -> order),
-- 4 res (visitor with a reserved place -> when), 5 poll (waiting visitor ->
-- last poll), 6 act (session -> last request), 7 adm (second -> admissions).
-- All share the room's hash tag, so they live in one Redis Cluster slot.
--
-- ARGV: 1 active_users, 2 new_users_per_minute (0: active_users),
-- 3 session_duration ms, 4 refresh ms, 5 random (1/0), 6 prequeue ms,
-- 7 start ms (0: no event), 8 end ms (0: none), 9 max queued, 10 seed,
-- then the script's own. Times are unix milliseconds on Redis's clock.
local K_CFG, K_ST, K_LINE, K_RES, K_POLL, K_ACT, K_ADM = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local CFG_A, CFG_N = tonumber(ARGV[1]), tonumber(ARGV[2])
local SD, R = tonumber(ARGV[3]), tonumber(ARGV[4])
local RANDOM = ARGV[5] == '1'
local PRE, START, STOP = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local MAXQ = tonumber(ARGV[9])
local SEED = tonumber(ARGV[10]) % 2147483646 + 1

-- Keys other than cfg expire when the room has been idle this long.
local TTL = 48 * 3600 * 1000

local t = redis.call('TIME')
local NOW = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local SEC = math.floor(NOW / 1000)

local MODE, A, N, A_SET, N_SET, EPOCH
local function load()
	local c = redis.call('HMGET', K_CFG, 'mode', 'active_users', 'new_users_per_minute', 'epoch')
	MODE = c[1] or 'auto'
	A, N = CFG_A, CFG_N
	A_SET, N_SET = c[2] ~= false, c[3] ~= false
	if A_SET then A = tonumber(c[2]) end
	if N_SET then N = tonumber(c[3]) end
	if N <= 0 then N = A end
	if A < 1 then A = 1 end
	if N < 1 then N = 1 end
	EPOCH = tonumber(c[4]) or 0
end

-- The event's phase: open, before (everyone passes), pre (the draw), after.
local function phase()
	if START == 0 then return 'open' end
	if NOW < PRE then return 'before' end
	if NOW < START then return 'pre' end
	if STOP > 0 and NOW >= STOP then return 'after' end
	return 'open'
end


-- Lots are drawn with Park and Miller's minimal standard generator.
local function rand(n)
	SEED = (SEED * 48271) % 2147483647
	return SEED % n
end

-- The room's counters, read once: the pacing of admissions (tat), the
-- first admission (t0), and the admissions of the last minute as counted at
-- second usec (uval).
-- The last housekeeping (hk) and the last refresh of the keys' expiry (ttl).
local ST = redis.call('HMGET', K_ST, 'tat', 't0', 'usec', 'uval', 'hk', 'ttl')
local TAT, T0 = tonumber(ST[1]) or 0, tonumber(ST[2])
local USEC, UVAL = tonumber(ST[3]), tonumber(ST[4])
local HK, TTLAT = tonumber(ST[5]) or 0, tonumber(ST[6]) or 0

-- Keys get their expiry when created (touched(k, true)) and all of them
-- again once a minute.
local dirty = {}
local function touched(k, created)
	if created then dirty[k] = true end
end
local function expire()
	if NOW - TTLAT >= 60000 or NOW < TTLAT then
		redis.call('HSET', K_ST, 'ttl', NOW)
		for _, k in ipairs({K_ST, K_LINE, K_RES, K_POLL, K_ACT, K_ADM}) do
			redis.call('PEXPIRE', k, TTL)
		end
		return
	end
	for k in pairs(dirty) do redis.call('PEXPIRE', k, TTL) end
end

-- Admissions in the last 60 one-second buckets (older ones are dropped),
-- counted at most once a second.
local function used()
	if USEC == SEC then return UVAL end
	local h = redis.call('HGETALL', K_ADM)
	local total, stale = 0, {}
	for i = 1, #h, 2 do
		local s = tonumber(h[i])
		if s <= SEC - 60 or s > SEC then
			stale[#stale + 1] = h[i]
		else
			total = total + tonumber(h[i + 1])
		end
	end
	if #stale > 0 then redis.call('HDEL', K_ADM, unpack(stale)) end
	USEC, UVAL = SEC, total
	redis.call('HSET', K_ST, 'usec', SEC, 'uval', total)
	return total
end

local function window()
	if not T0 then return 0 end
	return math.min(60000, NOW - T0)
end

-- How many may be admitted now: no more than free places, than N in the
-- last minute, and than the pace of N per minute allows (a second's worth
-- at once).
local function budget(free)
	if free <= 0 then return 0 end
	local interval = 60000 / N
	local burst = math.max(1, math.ceil(N / 60))
	local tat = math.max(TAT, NOW)
	local paced = math.floor((NOW + burst * interval - tat) / interval)
	local b = math.min(free, N - used(), paced)
	if b < 0 then return 0 end
	return b
end

local function admitted(k)
	local before = used() -- counted before this admission's bucket changes
	redis.call('HINCRBY', K_ADM, SEC, k)
	TAT = math.max(TAT, NOW) + k * 60000 / N
	UVAL = UVAL + k
	if not T0 then T0 = NOW end
	redis.call('HSET', K_ST, 'tat', string.format('%.3f', TAT), 't0', T0, 'uval', UVAL)
	touched(K_ADM, before == 0)
	touched(K_ST, true)
end

local nact, nres, nline

-- SWEEP is how often idle sessions and visitors who stopped polling are
-- swept (ms): they are dropped at most that late.
local SWEEP = 100

-- Ends idle sessions, drops visitors who stopped polling, and reserves the
-- free places for the first in line (or for visitors drawn by lot).
local function housekeep(ph)
	if NOW - HK >= SWEEP or NOW < HK then
		redis.call('ZREMRANGEBYSCORE', K_ACT, '-inf', '(' .. (NOW - SD))
		local gone = redis.call('ZRANGEBYSCORE', K_POLL, '-inf', '(' .. (NOW - 3 * R), 'LIMIT', 0, 500)
		if #gone > 0 then
			redis.call('ZREM', K_POLL, unpack(gone))
			redis.call('ZREM', K_LINE, unpack(gone))
			redis.call('ZREM', K_RES, unpack(gone))
		end
		redis.call('HSET', K_ST, 'hk', NOW)
	end
	nact = redis.call('ZCARD', K_ACT)
	nres = redis.call('ZCARD', K_RES)
	nline = redis.call('ZCARD', K_LINE)
	if ph ~= 'open' or MODE == 'pause' or nline == 0 then return end
	local k = math.min(nline, budget(A - nact - nres))
	if k <= 0 then return end
	local picked
	if RANDOM then
		picked = {}
		for i = 1, k do
			local idx = rand(nline)
			local m = redis.call('ZRANGE', K_LINE, idx, idx)[1]
			redis.call('ZREM', K_LINE, m)
			nline = nline - 1
			picked[i] = m
		end
	else
		picked = redis.call('ZRANGE', K_LINE, 0, k - 1)
		redis.call('ZREMRANGEBYRANK', K_LINE, 0, k - 1)
		nline = nline - k
	end
	local args = {}
	for i, m in ipairs(picked) do
		args[2 * i - 1] = NOW
		args[2 * i] = m
	end
	redis.call('ZADD', K_RES, unpack(args))
	touched(K_RES, nres == 0)
	nres = nres + k
	admitted(k)
end
