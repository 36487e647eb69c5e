package dev.conveyor.dispatcher;

import dev.conveyor.common.test.OnRedisCluster;

/**
 * {@link IntakeIT} against a Redis Cluster: the intake's consumer group, task registration (Lua)
 * and pipelined fan-out to step queues on every master.
 */
@OnRedisCluster
class IntakeClusterIT extends IntakeIT {}
