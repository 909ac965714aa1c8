-- status: the room's state (after common.lua); runs the housekeeping.
-- Returns {mode, active, queued, admitted in the last minute, active_users,
-- new_users_per_minute, active_users set, new_users_per_minute set}.
load()
local ph = phase()
if MODE ~= 'passthrough' and ph ~= 'before' and ph ~= 'after' then
	housekeep(ph)
	expire()
else
	nact = redis.call('ZCARD', K_ACT)
	nres = redis.call('ZCARD', K_RES)
	nline = redis.call('ZCARD', K_LINE)
end
local function bool(b) if b then return 1 end return 0 end
return {MODE, nact, nline + nres, used(), A, N, bool(A_SET), bool(N_SET)}
