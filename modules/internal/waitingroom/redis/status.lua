-- status: the room's state (after common.lua); runs the housekeeping.
-- Returns {mode, active, queued, admitted in the last minute, active_users,
-- new_users_per_minute, active_users set, new_users_per_minute set, epoch:
-- the last reset, unix ms}.
local ph = phase(S)
if S.MODE ~= 'passthrough' and ph ~= 'before' and ph ~= 'after' then
	housekeep(S, ph)
	expire(S)
else
	S.nres = redis.call('ZCARD', KEYS[K_RES])
	S.nline = redis.call('ZCARD', KEYS[K_LINE])
end
local function bool(b) if b then return 1 end return 0 end
return {S.MODE, active(S), S.nline + S.nres, used(S), S.A, S.N, bool(S.A_SET), bool(S.N_SET), S.EPOCH}
