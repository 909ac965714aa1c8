-- reset: empties the line, ends every session and makes older cookies count
-- as none (after common.lua). The mode and limits stay.
redis.call('DEL', KEYS[K_LINE], KEYS[K_RES], KEYS[K_POLL], KEYS[K_ACT], KEYS[K_ADM])
redis.call('HDEL', KEYS[K_CFG], 'seq', 'tat', 't0', 'usec', 'uval', 'hk', 'ttl')
redis.call('HSET', KEYS[K_CFG], 'epoch', S.NOW)
return S.NOW
