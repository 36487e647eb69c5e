package dev.conveyor.common.logging;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class QuotingTest {

  @Test
  void plainTokensStayBare() {
    assertThat(Quoting.value("doc-42")).isEqualTo("doc-42");
    assertThat(Quoting.value("PT4S")).isEqualTo("PT4S");
    assertThat(Quoting.value("ner.person/0:a,b")).isEqualTo("ner.person/0:a,b");
    assertThat(Quoting.value("naïve")).isEqualTo("naïve");
  }

  @Test
  void emptyAndSpaceLikeValuesAreQuoted() {
    assertThat(Quoting.value("")).isEqualTo("\"\"");
    assertThat(Quoting.value("a\u00a0b")).isEqualTo("\"a\u00a0b\"");
    assertThat(Quoting.value(" ")).isEqualTo("\" \"");
  }

  @Test
  void nullIsWrittenAsTheWordNull() {
    assertThat(Quoting.value(null)).isEqualTo("null");
    assertThat(Quoting.oneLine(null)).isEmpty();
  }

  @Test
  void oneLineKeepsBackslashesQuotesAndTabsButEscapesLineBreaks() {
    assertThat(Quoting.oneLine("a\\b \"c\"\td")).isEqualTo("a\\b \"c\"\td");
    assertThat(Quoting.oneLine("a\nb\u0085c\u2029")).isEqualTo("a\\nb\\u0085c\\u2029");
  }
}
