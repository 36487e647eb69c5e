package dev.conveyor.common.redis;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AofWaitTest {
  private static String server(String version) {
    return "# Server\r\nredis_version:" + version + "\r\nredis_mode:standalone\r\n";
  }

  private static String persistence(int aof) {
    return "# Persistence\r\nloading:0\r\naof_enabled:" + aof + "\r\naof_rewrite_in_progress:0\r\n";
  }

  @Test
  void aRedisWithWaitaofAndAnAofIsWaitedFor() {
    AofWait w = AofWait.of(server("7.2.4"), persistence(1));
    assertThat(w.used()).isTrue();
    assertThat(AofWait.of(server("8.0.1"), persistence(1)).used()).isTrue();
    assertThat(AofWait.of(server("10.0.0"), persistence(1)).used()).isTrue();
  }

  @Test
  void anOlderRedisOrOneWithoutAofIsNotAndSaysWhy() {
    AofWait old = AofWait.of(server("7.0.15"), persistence(1));
    assertThat(old.used()).isFalse();
    assertThat(old.reason()).contains("Redis 7.0.15 has no WAITAOF (7.2 or later has)");
    assertThat(AofWait.of(server("6.2.14"), persistence(1)).used()).isFalse();
    AofWait noAof = AofWait.of(server("7.2.4"), persistence(0));
    assertThat(noAof.used()).isFalse();
    assertThat(noAof.reason()).contains("appendonly off");
    assertThat(AofWait.of("# Server\r\n", persistence(1)).used()).as("no version").isFalse();
  }
}
