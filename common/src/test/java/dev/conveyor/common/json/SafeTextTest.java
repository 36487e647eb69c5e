package dev.conveyor.common.json;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SafeTextTest {

  @Test
  void u0000AndLoneSurrogatesAreEscapedAndPairsKept() {
    assertThat(SafeText.escaped("a\u0000b\ud800c\udc00\ud83d\ude00"))
        .isEqualTo("a\\u0000b\\ud800c\\udc00\ud83d\ude00");
    assertThat(SafeText.escaped("plain")).isEqualTo("plain");
    assertThat(SafeText.escaped(null)).isNull();
  }

  @Test
  void aLongTextIsCutAndSaysHowLongItWas() {
    String capped = SafeText.capped("x".repeat(10_000), 100);

    assertThat(capped).startsWith("x".repeat(100) + "...").endsWith(" (10000 chars)");
  }

  @Test
  void aCutNeverSplitsASurrogatePair() {
    assertThat(SafeText.cut("ab\ud83d\ude00", 3)).isEqualTo("ab...");
  }

  @Test
  void quotedTextReadsBackOnOneLine() {
    assertThat(SafeText.quoted("a\"b\\c\nd\u0000e\ud800"))
        .isEqualTo("a\\\"b\\\\c\\u000ad\\u0000e\\ud800");
  }

  @Test
  void utf8LengthCountsBytes() {
    String s = "aé東\ud83d\ude00";

    assertThat(SafeText.utf8Length(s)).isEqualTo(s.getBytes(StandardCharsets.UTF_8).length);
  }
}
