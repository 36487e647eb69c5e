package dev.conveyor.common.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class QueryStringTest {

  @Test
  void decodesNamesAndValuesInOrderAndTheFirstValueWins() {
    assertThat(QueryString.parse("b=2&a=x%20y+z&b=3&flag&&c=%26"))
        .containsExactly(
            java.util.Map.entry("b", "2"),
            java.util.Map.entry("a", "x y z"),
            java.util.Map.entry("flag", ""),
            java.util.Map.entry("c", "&"));
  }

  @Test
  void absentQueryIsEmpty() {
    assertThat(QueryString.parse(null)).isEmpty();
    assertThat(QueryString.parse("")).isEmpty();
  }

  @Test
  void malformedEscapeIsRefused() {
    assertThatThrownBy(() -> QueryString.parse("a=%zz"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
