-- update: sets the mode and the admin API's limits, then reports the state
-- like status.lua (after common.lua).
-- ARGV 11 mode ('' unchanged), 12 active_users, 13 new_users_per_minute
-- ('' unchanged, '-' back to the configuration's, else the value).
-- common.lua read the old values: the new ones go into S too.
if ARGV[11] ~= '' then
	redis.call('HSET', KEYS[K_CFG], 'mode', ARGV[11])
	S.MODE = ARGV[11]
end
local fields = {{ARGV[12], 'active_users', 'A', 'A_SET', 1}, {ARGV[13], 'new_users_per_minute', 'N', 'N_SET', 2}}
for _, f in ipairs(fields) do
	if f[1] == '-' then
		redis.call('HDEL', KEYS[K_CFG], f[2])
		S[f[3]], S[f[4]] = tonumber(ARGV[f[5]]), false
	elseif f[1] ~= '' then
		redis.call('HSET', KEYS[K_CFG], f[2], f[1])
		S[f[3]], S[f[4]] = tonumber(f[1]), true
	end
end
if S.N <= 0 then S.N = S.A end
if S.A < 1 then S.A = 1 end
if S.N < 1 then S.N = 1 end
-- New limits or mode may free places: sweep (and reserve) now.
S.HK = 0
