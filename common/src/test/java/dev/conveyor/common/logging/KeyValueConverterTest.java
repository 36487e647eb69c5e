package dev.conveyor.common.logging;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class KeyValueConverterTest {
  private final KeyValueConverter converter = new KeyValueConverter();

  @Test
  void pairsAreWrittenInOrderWithSimpleValuesBare() {
    var event =
        Events.info("dev.conveyor.processor.ProcessorMain")
            .kv("event", "state")
            .kv("system", "processor")
            .kv("pid", 7)
            .kv("state", "RUNNING")
            .build();

    assertThat(converter.convert(event))
        .isEqualTo("event=state system=processor pid=7 state=RUNNING");
  }

  @Test
  void valuesWithSpacesQuotesEqualsOrBackslashesAreQuotedAndEscaped() {
    var event =
        Events.info("x.StepRunner")
            .kv("event", "retry")
            .kv("error", "timeout after PT30S")
            .kv("quote", "say \"hi\"")
            .kv("expr", "a=b")
            .kv("path", "C:\\tmp")
            .kv("empty", "")
            .kv("nothing", null)
            .build();

    assertThat(converter.convert(event))
        .isEqualTo(
            "event=retry error=\"timeout after PT30S\" quote=\"say \\\"hi\\\"\" expr=\"a=b\""
                + " path=\"C:\\\\tmp\" empty=\"\" nothing=null");
  }

  @Test
  void lineBreaksTabsAndControlCharactersInValuesAreEscapedOntoOneLine() {
    var event =
        Events.info("x.Y")
            .kv("error", "first\nsecond\r\nthird\tend")
            .kv("evil", "\u001b[31mred\u2028")
            .build();

    String line = converter.convert(event);

    assertThat(line)
        .isEqualTo("error=\"first\\nsecond\\r\\nthird\\tend\" evil=\"\\u001b[31mred\\u2028\"")
        .doesNotContain("\n", "\r", "\t", "\u001b", "\u2028");
  }

  @Test
  void keysThatWouldBreakTheFormatAreMadeSafe() {
    var event = Events.info("x.Y").kv("bad key=", 1).kv("", 2).build();

    assertThat(converter.convert(event)).isEqualTo("bad_key_=1 _=2");
  }

  @Test
  void messageAfterPairsIsAppendedAsMsg() {
    var event =
        Events.info("x.Y", "lost the lease, handing back")
            .kv("event", "lease_lost")
            .kv("step", "ner")
            .build();

    assertThat(converter.convert(event))
        .isEqualTo("event=lease_lost step=ner msg=\"lost the lease, handing back\"");
  }

  @Test
  void singleWordMessageAfterPairsStaysBare() {
    var event = Events.info("x.Y", "done").kv("event", "batch").build();

    assertThat(converter.convert(event)).isEqualTo("event=batch msg=done");
  }

  @Test
  void messageWithoutPairsIsWrittenAsItIsButOnOneLine() {
    var event =
        Events.info("com.zaxxer.hikari.HikariDataSource", "HikariPool-1 - Start \"completed\".")
            .build();
    var multiLine =
        Events.info("org.quartz.core.QuartzScheduler", "line one\nline two\r\n").build();

    assertThat(converter.convert(event)).isEqualTo("HikariPool-1 - Start \"completed\".");
    assertThat(converter.convert(multiLine)).isEqualTo("line one\\nline two\\r\\n");
  }

  @Test
  void eventWithNeitherPairsNorMessageIsEmpty() {
    assertThat(converter.convert(Events.info("x.Y").build())).isEmpty();
  }
}
