package dev.conveyor.common.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.common.config.PgConfig;
import dev.conveyor.common.outage.ServiceWatch;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PostgresSubsystemTest {
  private static PgConfig pool(int size) {
    return new PgConfig(
        "jdbc:postgresql://localhost:5432/conveyor", "conveyor", Optional.empty(), size);
  }

  private static final ServiceWatch WATCH =
      new ServiceWatch(Map.of(), new SimpleMeterRegistry(), Clock.systemUTC());

  @Test
  void thePoolHoldsTheConfiguredSizeOrWhatTheDaemonNeedsTheLarger() {
    assertThat(new PostgresSubsystem(pool(8), "d", 4, WATCH).poolSize()).isEqualTo(8);
    assertThat(new PostgresSubsystem(pool(20), "d", 4, WATCH).poolSize()).isEqualTo(20);
    assertThat(new PostgresSubsystem(pool(8), "p", 12, WATCH).poolSize()).isEqualTo(12);
  }
}
