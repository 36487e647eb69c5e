package dev.conveyor.patrol;

import dev.conveyor.common.test.OnRedisCluster;

/** {@link TaskReportIT} against a Redis Cluster: a task's progress read from the cluster. */
@OnRedisCluster
class TaskReportClusterIT extends TaskReportIT {}
