-- reset: empties the line, ends every session and makes older cookies count
-- as none (after common.lua). The mode and limits stay.
redis.call('DEL', K_ST, K_LINE, K_RES, K_POLL, K_ACT, K_ADM)
redis.call('HSET', K_CFG, 'epoch', NOW)
return NOW
