package dev.conveyor.common.redis;

import dev.conveyor.common.test.OnRedisCluster;

/**
 * {@link LuaScriptIT} against a Redis Cluster: a batch holds the calls of one hash slot only (a
 * script's keys must share a slot), so calls over many slots go in as many batches.
 */
@OnRedisCluster
class LuaScriptClusterIT extends LuaScriptIT {}
