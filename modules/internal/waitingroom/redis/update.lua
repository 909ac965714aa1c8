-- update: sets the mode and the admin API's limits, then reports the state
-- like status.lua (after common.lua).
-- ARGV 11 mode ('' unchanged), 12 active_users, 13 new_users_per_minute
-- ('' unchanged, '-' back to the configuration's, else the value).
if ARGV[11] ~= '' then redis.call('HSET', K_CFG, 'mode', ARGV[11]) end
local fields = {{ARGV[12], 'active_users'}, {ARGV[13], 'new_users_per_minute'}}
for _, f in ipairs(fields) do
	if f[1] == '-' then
		redis.call('HDEL', K_CFG, f[2])
	elseif f[1] ~= '' then
		redis.call('HSET', K_CFG, f[2], f[1])
	end
end
