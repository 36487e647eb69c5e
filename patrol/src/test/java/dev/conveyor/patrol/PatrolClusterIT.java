package dev.conveyor.patrol;

import dev.conveyor.common.test.OnRedisCluster;

/**
 * {@link PatrolIT} against a Redis Cluster: re-drive, dead items, cleanup (one UNLINK per task) and
 * the lease two patrols share.
 */
@OnRedisCluster
class PatrolClusterIT extends PatrolIT {}
