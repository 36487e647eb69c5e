package dev.conveyor.patrol;

import dev.conveyor.common.test.OnRedisCluster;

/**
 * {@link RetentionIT} against a Redis Cluster: releases and pruning with the runtime state on a
 * cluster.
 */
@OnRedisCluster
class RetentionClusterIT extends RetentionIT {}
