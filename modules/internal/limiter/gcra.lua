-- A generic cell rate algorithm: a token bucket stored as its theoretical
-- arrival time (tat), run atomically in Redis. The clock is Redis's, so
-- gateways with skewed clocks agree. Times are microseconds. The bucket is
-- a hash {t: tat, i: interval, b: burst}; when the limit changes, the
-- bucket keeps the tokens it holds, like rate.Limiter.
--
-- The script touches KEYS[1] only, so it runs on a Redis Cluster as is:
-- each bucket lives in the slot of its own key.
--
-- KEYS[1] the bucket; ARGV[1] emission interval; ARGV[2] burst.
-- Returns {allowed, remaining, retry_after, reset}.
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local v = redis.call('HMGET', KEYS[1], 't', 'i', 'b')
local tat = tonumber(v[1])
local changed = false
if not tat or tat < now then
	tat = now
else
	local oi, ob = tonumber(v[2]), tonumber(v[3])
	if oi and ob and (oi ~= interval or ob ~= burst) then
		local tokens = ob - (tat - now) / oi
		if tokens > burst then tokens = burst end
		if tokens < 0 then tokens = 0 end
		tat = now + (burst - tokens) * interval
		changed = true
	end
end
local new_tat = tat + interval
local allow_at = new_tat - interval * burst
local allowed = allow_at <= now
if allowed then
	tat = new_tat
end
if allowed or changed then
	redis.call('HSET', KEYS[1], 't', string.format('%.0f', tat), 'i', ARGV[1], 'b', ARGV[2])
	redis.call('PEXPIRE', KEYS[1], math.ceil((tat - now) / 1000) + 1000)
end
if not allowed then
	return {0, 0, allow_at - now, tat - now}
end
return {1, math.floor((now - allow_at) / interval), 0, tat - now}
