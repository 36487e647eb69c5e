package dev.conveyor.patrol;

import dev.conveyor.common.test.OnRedisCluster;

/** {@link RedriveIT} against a Redis Cluster: re-drive and dead items. */
@OnRedisCluster
class RedriveClusterIT extends RedriveIT {}
