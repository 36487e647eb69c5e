package dev.conveyor.common.redis;

import dev.conveyor.common.test.OnRedisCluster;

/**
 * {@link StreamGroupIT} against a Redis Cluster: groups, pending lists, XAUTOCLAIM, XCLAIM of
 * others' entries, trimming and the consumer-removal script on a stream whose slot lives on one of
 * three masters.
 */
@OnRedisCluster
class StreamGroupClusterIT extends StreamGroupIT {}
