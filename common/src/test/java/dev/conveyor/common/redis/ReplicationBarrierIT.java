package dev.conveyor.common.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The barrier against the test Redis, which has no replica: nothing to wait for. */
@WithServices
class ReplicationBarrierIT {
  static List<String> tasks(String prefix) {
    return IntStream.range(0, 50).mapToObj(i -> prefix + "-" + i).toList();
  }

  @Test
  void aMasterWithoutReplicasIsNotWaitedFor(TestServices services) {
    List<String> tasks = tasks("alone");
    long start = System.nanoTime();
    new ReplicationBarrier(services.keys(), true, Duration.ofSeconds(3))
        .await(services.jedis(), tasks);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
    assertThat(tasks)
        .as("no marker: nothing to wait for")
        .noneMatch(id -> services.jedis().exists(services.keys().replicationMarker(id)));
  }

  @Test
  void disabledItWritesNothing(TestServices services) {
    List<String> tasks = tasks("off");
    new ReplicationBarrier(services.keys(), false, Duration.ofSeconds(1))
        .await(services.jedis(), tasks);
    assertThat(tasks)
        .noneMatch(id -> services.jedis().exists(services.keys().replicationMarker(id)));
  }

  @Test
  void theAofIsWaitedForOnlyWhenTheInboxIsElsewhereAndThisRedisCan(TestServices services) {
    assertThat(AofWait.detect(services.jedis(), false)).isSameAs(AofWait.NOT_NEEDED);
    AofWait here = AofWait.detect(services.jedis(), true);
    String version = AofWait.field(services.jedis().info("server"), "redis_version").orElseThrow();
    boolean aof =
        AofWait.field(services.jedis().info("persistence"), "aof_enabled").orElse("0").equals("1");
    assertThat(here.used()).as(here.reason()).isEqualTo(AofWait.atLeast(version, 7, 2) && aof);
  }

  @Test
  void waitingForTheAofSendsWaitaofBeforeTheEntriesMayBeAcknowledged(TestServices services) {
    List<String> tasks = tasks("aof");
    ReplicationBarrier barrier =
        new ReplicationBarrier(services.keys(), false, Duration.ofSeconds(2), true);
    String version = AofWait.field(services.jedis().info("server"), "redis_version").orElseThrow();
    if (AofWait.detect(services.jedis(), true).used()) {
      barrier.await(services.jedis(), tasks);
    } else {
      // why: this Redis has no WAITAOF (or no AOF); what it answers shows the barrier asked
      assertThatThrownBy(() -> barrier.await(services.jedis(), tasks))
          .as("Redis " + version)
          .hasMessageContaining("WAITAOF");
    }
  }

  @Test
  void countsOnlyOnlineReplicas() {
    String info =
        """
        # Replication\r
        role:master\r
        connected_slaves:3\r
        slave0:ip=127.0.0.1,port=7001,state=online,offset=1200,lag=0\r
        slave1:ip=127.0.0.1,port=7002,state=wait_bgsave,offset=0,lag=0\r
        slave2:ip=127.0.0.1,port=7003,state=online,offset=1190,lag=1\r
        master_repl_offset:1200\r
        """;
    assertThat(ReplicationBarrier.onlineReplicas(info)).isEqualTo(2);
    assertThat(
            ReplicationBarrier.onlineReplicas(
                "# Replication\r\nrole:master\r\nconnected_slaves:0\r\n"))
        .isZero();
  }
}
