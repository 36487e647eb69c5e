package dev.conveyor.dispatcher;

import dev.conveyor.common.test.OnRedisCluster;

/**
 * {@link DispatcherIT} against a Redis Cluster: what was read is held while PostgreSQL is away, and
 * a shutdown stops every thread.
 */
@OnRedisCluster
class DispatcherClusterIT extends DispatcherIT {}
