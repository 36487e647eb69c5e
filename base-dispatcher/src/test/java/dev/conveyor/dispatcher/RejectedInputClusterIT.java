package dev.conveyor.dispatcher;

import dev.conveyor.common.test.OnRedisCluster;

/**
 * {@link RejectedInputIT} against a Redis Cluster: rejects, with the intake's consumer group on a
 * cluster.
 */
@OnRedisCluster
class RejectedInputClusterIT extends RejectedInputIT {}
