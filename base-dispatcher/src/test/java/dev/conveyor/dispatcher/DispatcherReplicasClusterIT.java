package dev.conveyor.dispatcher;

import dev.conveyor.common.test.OnRedisCluster;

/**
 * {@link DispatcherReplicasIT} against a Redis Cluster: two replicas racing on one id, and the
 * XAUTOCLAIM takeover of a dead replica's entries.
 */
@OnRedisCluster
class DispatcherReplicasClusterIT extends DispatcherReplicasIT {}
