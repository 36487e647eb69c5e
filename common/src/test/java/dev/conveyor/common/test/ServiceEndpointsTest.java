package dev.conveyor.common.test;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** When no Redis or PostgreSQL can be found, tests fail and say how to provide them. */
class ServiceEndpointsTest {
  private static final String DEAD_REDIS = "redis://127.0.0.1:1";
  private static final String DEAD_PG = "jdbc:postgresql://127.0.0.1:1/postgres?user=postgres";

  @Test
  void servicesNamedInTheEnvironmentMustAnswer() {
    assertThatThrownBy(() ->
            ServiceEndpoints.resolve(
                Map.of(ServiceEndpoints.REDIS_ENV, DEAD_REDIS, ServiceEndpoints.PG_ENV, DEAD_PG),
                () -> false))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("CONVEYOR_TEST_REDIS_URL=redis://127.0.0.1:1 does not answer");
  }

  @Test
  void withNothingToUseTheFailureExplainsEveryWayToProvideTheServices() {
    assertThatThrownBy(() ->
            ServiceEndpoints.resolve(Map.of(ServiceEndpoints.REDIS_ENV, DEAD_REDIS), () -> false))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("need a real Redis and a real PostgreSQL")
        .hasMessageContaining("Redis redis://127.0.0.1:1:")
        .hasMessageContaining("Testcontainers: no Docker engine")
        .hasMessageContaining("CONVEYOR_TEST_REDIS_URL=redis://host:port")
        .hasMessageContaining("CONVEYOR_TEST_PG_URL=jdbc:postgresql://")
        .hasMessageContaining("run a Docker engine");
  }
}
