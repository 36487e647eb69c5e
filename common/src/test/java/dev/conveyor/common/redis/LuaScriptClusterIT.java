package dev.conveyor.common.redis;

import dev.conveyor.common.test.OnRedisCluster;

/**
 * {@link LuaScriptIT} against a Redis Cluster: the calls of one round trip go to the masters of
 * their slots, and come back in order.
 */
@OnRedisCluster
class LuaScriptClusterIT extends LuaScriptIT {}
