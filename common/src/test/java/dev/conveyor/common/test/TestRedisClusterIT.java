package dev.conveyor.common.test;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.RedisClusterClient;

/** The cluster the {@link OnRedisCluster} tests run on is a real one, and they really use it. */
@WithServices
@OnRedisCluster
class TestRedisClusterIT {

  @Test
  void theClusterHasThreeMastersEachWithAReplica(TestServices services) {
    TestRedisCluster cluster = services.cluster();
    assertThat(cluster.masters()).hasSize(3);
    assertThat(cluster.nodes()).hasSize(6);
    for (HostAndPort master : cluster.masters()) {
      assertThat(cluster.replicaOf(master)).isNotEqualTo(master);
    }
  }

  @Test
  void testServicesTalkToTheClusterAndKeysSpreadOverItsMasters(TestServices services) {
    assertThat(services.jedis()).isInstanceOf(RedisClusterClient.class);
    assertThat(services.env()).containsEntry("CONVEYOR_REDIS_CLUSTER", services.cluster().seeds());
    Set<HostAndPort> owners = new HashSet<>();
    for (int i = 0; i < 30; i++) {
      String key = services.keys().taskMeta("spread-" + i);
      services.jedis().hset(key, "x", "1");
      owners.add(services.cluster().masterOf(key));
    }
    assertThat(owners).hasSize(3);
    assertThat(services.redisKeys()).hasSize(30);
  }
}
