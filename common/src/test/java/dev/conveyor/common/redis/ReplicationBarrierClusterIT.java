package dev.conveyor.common.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conveyor.common.redis.ReplicationBarrier.ReplicationShortException;
import dev.conveyor.common.test.OnRedisCluster;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;

/**
 * The barrier on a Redis Cluster whose masters have a replica each: it returns once what was
 * written before it is on the replicas (one marker per master), and reports a replica that does not
 * acknowledge in time.
 */
@WithServices
@OnRedisCluster
class ReplicationBarrierClusterIT {

  @Test
  void returnsOnceTheWritesAreOnTheReplicasOfEveryMasterWrittenTo(TestServices services) {
    List<String> tasks = ReplicationBarrierIT.tasks("spread");
    for (String id : tasks) {
      services.jedis().hset(services.keys().taskMeta(id), Map.of("state", "registered"));
    }

    new ReplicationBarrier(services.keys(), true, Duration.ofSeconds(5))
        .await(services.jedis(), tasks);

    assertThat(
            tasks.stream()
                .filter(id -> services.jedis().exists(services.keys().replicationMarker(id))))
        .as("one marker per master")
        .hasSize(services.cluster().masters().size());
    for (String id : tasks) {
      String key = services.keys().taskMeta(id);
      HostAndPort replica = services.cluster().replicaOf(services.cluster().masterOf(key));
      try (Jedis j = new Jedis(replica)) {
        j.readonly();
        assertThat(j.hget(key, "state"))
            .as(key + " on the replica " + replica)
            .isEqualTo("registered");
      }
    }
  }

  @Test
  void aReplicaThatDoesNotAcknowledgeInTimeIsReported(TestServices services) {
    String task = "stalled-1";
    String key = services.keys().taskMeta(task);
    services.jedis().hset(key, Map.of("state", "registered"));
    HostAndPort replica = services.cluster().replicaOf(services.cluster().masterOf(key));
    services.cluster().pause(replica);
    try {
      assertThatThrownBy(() ->
              new ReplicationBarrier(services.keys(), true, Duration.ofMillis(300))
                  .await(services.jedis(), List.of(task)))
          .isInstanceOf(ReplicationShortException.class)
          .hasMessageContaining("reached 0 of the 1 online replicas")
          .hasMessageContaining("CONVEYOR_REDIS_WAIT_REPLICAS");
    } finally {
      services.cluster().resume(replica);
    }
    new ReplicationBarrier(services.keys(), true, Duration.ofSeconds(5))
        .await(services.jedis(), List.of(task));
  }
}
