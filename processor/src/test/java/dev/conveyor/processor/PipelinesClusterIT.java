package dev.conveyor.processor;

import dev.conveyor.common.test.OnRedisCluster;

/**
 * {@link PipelinesIT} against a Redis Cluster: joins, task-scope merges, retry sets, dead items and
 * completion, with each step shard's queue and retry set on one slot and the task's keys on
 * another.
 */
@OnRedisCluster
class PipelinesClusterIT extends PipelinesIT {}
