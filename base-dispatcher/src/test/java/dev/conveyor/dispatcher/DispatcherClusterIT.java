package dev.conveyor.dispatcher;

import dev.conveyor.common.test.OnRedisCluster;

/**
 * {@link DispatcherIT} against a Redis Cluster: the intake's consumer group, task registration
 * (Lua), pipelined fan-out to step queues on every master, rejects, duplicates and recovery of
 * pending entries.
 */
@OnRedisCluster
class DispatcherClusterIT extends DispatcherIT {}
