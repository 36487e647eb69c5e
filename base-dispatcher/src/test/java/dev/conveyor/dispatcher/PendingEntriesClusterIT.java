package dev.conveyor.dispatcher;

import dev.conveyor.common.test.OnRedisCluster;

/**
 * {@link PendingEntriesIT} against a Redis Cluster: recovery of pending entries of the intake's
 * consumer group.
 */
@OnRedisCluster
class PendingEntriesClusterIT extends PendingEntriesIT {}
