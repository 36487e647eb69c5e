package dev.conveyor.common.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.common.config.PgConfig;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PostgresSubsystemTest {
  private static PgConfig pool(int size) {
    return new PgConfig(
        "jdbc:postgresql://localhost:5432/conveyor", "conveyor", Optional.empty(), size);
  }

  @Test
  void thePoolHoldsTheConfiguredSizeOrWhatTheDaemonNeedsTheLarger() {
    assertThat(new PostgresSubsystem(pool(8), "d", 4).poolSize()).isEqualTo(8);
    assertThat(new PostgresSubsystem(pool(20), "d", 4).poolSize()).isEqualTo(20);
    assertThat(new PostgresSubsystem(pool(8), "p", 12).poolSize()).isEqualTo(12);
  }
}
