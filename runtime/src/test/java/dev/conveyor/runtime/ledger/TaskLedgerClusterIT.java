package dev.conveyor.runtime.ledger;

import dev.conveyor.common.test.OnRedisCluster;

/**
 * {@link TaskLedgerIT} against a Redis Cluster: the Lua scripts on a task's keys and on a shard's
 * queue and retry set, and the pipelined batches whose commands go to every master at once.
 */
@OnRedisCluster
class TaskLedgerClusterIT extends TaskLedgerIT {}
