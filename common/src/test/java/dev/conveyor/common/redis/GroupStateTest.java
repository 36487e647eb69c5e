package dev.conveyor.common.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class GroupStateTest {
  private static GroupState state(long lag, long pending, String lastDelivered, String lastEntry) {
    return new GroupState("s", "g", 10, lag, pending, List.of(), lastDelivered, lastEntry);
  }

  @Test
  void theLastIdsTellWhetherAnEntryWaits() {
    assertThat(state(0, 0, "5-0", "5-0").allDelivered()).isTrue();
    assertThat(state(3, 0, "2-0", "5-0").allDelivered()).isFalse();
    assertThat(state(0, 2, "5-0", "5-0").drained()).isFalse();
    assertThat(state(0, 0, "5-0", "5-0").drained()).isTrue();
    assertThat(state(1, 0, "5-0", "5-0").allDelivered())
        .as("Redis counts an entry deleted before it was read as waiting: it never will be read")
        .isTrue();
  }

  @Test
  void anUnknownLagIsDecidedByTheLastIds() {
    assertThat(state(GroupState.UNKNOWN_LAG, 0, "2-0", "5-0").allDelivered())
        .as("an entry after the last one delivered waits")
        .isFalse();
    assertThat(state(GroupState.UNKNOWN_LAG, 0, "2-0", "5-0").drained()).isFalse();
    assertThat(state(GroupState.UNKNOWN_LAG, 0, "5-0", "5-0").allDelivered()).isTrue();
    assertThat(state(GroupState.UNKNOWN_LAG, 0, "6-0", "5-0").allDelivered())
        .as("the last entry was delivered, then deleted")
        .isTrue();
    assertThat(state(GroupState.UNKNOWN_LAG, 0, "1000-2", "1000-10").allDelivered())
        .as("ids compare as numbers, not text")
        .isFalse();
    assertThat(state(GroupState.UNKNOWN_LAG, 0, "0-0", "0-0").drained())
        .as("an empty stream")
        .isTrue();
  }
}
