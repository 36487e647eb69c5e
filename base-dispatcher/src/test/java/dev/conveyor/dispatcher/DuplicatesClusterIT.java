package dev.conveyor.dispatcher;

import dev.conveyor.common.test.OnRedisCluster;

/**
 * {@link DuplicatesIT} against a Redis Cluster: duplicates seen by the registration script (Lua) on
 * the task's slot.
 */
@OnRedisCluster
class DuplicatesClusterIT extends DuplicatesIT {}
