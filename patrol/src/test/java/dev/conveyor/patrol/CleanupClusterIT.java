package dev.conveyor.patrol;

import dev.conveyor.common.test.OnRedisCluster;

/**
 * {@link CleanupIT} against a Redis Cluster: cleanup (one UNLINK per task) and the lease two
 * patrols share.
 */
@OnRedisCluster
class CleanupClusterIT extends CleanupIT {}
