package dev.conveyor.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {

  @ParameterizedTest(name = "{0} = {1}")
  @CsvSource({
    "250ms, PT0.25S",
    "0ms, PT0S",
    "0s, PT0S",
    "1s, PT1S",
    "1.5s, PT1.5S",
    "5m, PT5M",
    "1.5m, PT1M30S",
    "2h, PT2H",
    "1d, PT24H",
    "90s, PT1M30S",
    "0.001ms, PT0.000001S",
    "PT30S, PT30S",
    "pt30s, PT30S",
    "P1DT2H, PT26H",
    "' 10m ', PT10M",
  })
  void parsesShortAndIsoForms(String text, String iso) {
    assertThat(Durations.parse(text)).isEqualTo(Duration.parse(iso));
  }

  @ParameterizedTest(name = "''{0}''")
  @ValueSource(
      strings = {
        "",
        " ",
        "5",
        "5 minutes",
        "5min",
        "5M",
        "1.s",
        ".5s",
        "-1s",
        "1e3ms",
        "PT-5S",
        "-PT5S",
        "P",
        "PTS",
        "1w",
        "1y",
        "0.0000000001s",
        "1000000d",
        "s",
        "5m30s"
      })
  void rejectsAnythingElse(String text) {
    assertThatThrownBy(() -> Durations.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("bad duration '" + text + "'")
        .hasMessageContaining("use e.g. 500ms, 1s, 5m, PT30S");
  }

  @ParameterizedTest(name = "{0} prints as {1}")
  @CsvSource({
    "PT0S, 0s",
    "PT0.25S, 250ms",
    "PT0.2S, 200ms",
    "PT1S, 1s",
    "PT1.5S, 1.5s",
    "PT1.001S, 1.001s",
    "PT0.0000015S, 0.0000015s",
    "PT90S, 90s",
    "PT5M, 5m",
    "PT10M, 10m",
    "PT2H, 2h",
    "PT24H, 1d",
    "PT48H, 2d",
    "PT25H, 25h",
  })
  void formatsTheShortForm(String iso, String text) {
    assertThat(Durations.format(Duration.parse(iso))).isEqualTo(text);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {"PT0S", "PT0.25S", "PT1.5S", "PT1M30S", "PT26H", "PT0.000000001S", "PT2562047H"})
  void formatThenParseGivesTheSameDuration(String iso) {
    Duration d = Duration.parse(iso);
    assertThat(Durations.parse(Durations.format(d))).isEqualTo(d);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"250ms", "1.5s", "5m", "2h", "1d", "90s"})
  void parseThenFormatGivesTheSameText(String text) {
    assertThat(Durations.format(Durations.parse(text))).isEqualTo(text);
  }

  @Test
  void negativeDurationsFormatAsIso() {
    assertThat(Durations.format(Duration.ofSeconds(-5))).isEqualTo("PT-5S");
  }
}
