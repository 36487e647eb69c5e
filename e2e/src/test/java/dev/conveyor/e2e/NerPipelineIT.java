package dev.conveyor.e2e;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.StreamEntryID;

/**
 * The demo pipeline as shipped ({@code deploy/pipelines/ner.yaml}, and {@code ner-py.yaml} with its
 * person step in Python) through the three daemons: a text of several parts, with emoji before the
 * names, becomes rows of {@code conveyor.ner_entities} at code-point offsets of the whole text;
 * both pipelines deliver the same rows.
 */
@WithServices
class NerPipelineIT {
  private static final int SENTENCES = 40;
  private List<DaemonProcess> daemons = List.of();

  @AfterEach
  void killLeftovers() throws InterruptedException {
    for (DaemonProcess d : daemons) {
      d.killIfAlive();
    }
  }

  /** A text of about 3,000 characters: more than one part of max_chars 2000. */
  static String text() {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < SENTENCES; i++) {
      text.append("\uD83D\uDE00 Paragraph ")
          .append(i)
          .append(": Acme Widgets Ltd. hired Jane Smith. Globex Corporation sued John Doe.\n");
    }
    return text.toString();
  }

  /** Every occurrence of each name, as the row the pipeline should deliver (part left out). */
  static List<String> expectedRows(String text) {
    List<String> rows = new ArrayList<>();
    Map<String, String> names =
        Map.of(
            "Acme Widgets Ltd.", "company",
            "Globex Corporation", "company",
            "Jane Smith", "person",
            "John Doe", "person");
    for (var name : names.entrySet()) {
      for (int at = text.indexOf(name.getKey());
          at >= 0;
          at = text.indexOf(name.getKey(), at + 1)) {
        int start = text.codePointCount(0, at);
        int end = start + name.getKey().codePointCount(0, name.getKey().length());
        rows.add(name.getValue() + "|" + name.getKey() + "|" + start + "|" + end);
      }
    }
    rows.sort(null);
    return rows;
  }

  @Test
  void aTextOfSeveralPartsBecomesRowsAtWholeTextOffsetsInBothPipelines(TestServices services)
      throws Exception {
    Map<String, String> env = new HashMap<>(services.env());
    env.put("CONVEYOR_PIPELINES", Repo.root().resolve("deploy/pipelines").toString());
    Path logs = Repo.root().resolve("e2e/target/e2e-logs/ner-pipeline");
    daemons =
        List.of(
            new DaemonProcess("dispatcher", env, logs),
            new DaemonProcess("processor", env, logs),
            new DaemonProcess("patrol", env, logs));
    daemons.forEach(DaemonProcess::start);
    await()
        .atMost(60, SECONDS)
        .untilAsserted(() -> assertThat(daemons).allMatch(DaemonProcess::healthy));

    String text = text();
    String payload = new ObjectMapper().writeValueAsString(Map.of("text", text));
    for (String pipeline : List.of("ner", "ner-py")) {
      services
          .jedis()
          .xadd(
              services.keys().inbox(),
              StreamEntryID.NEW_ENTRY,
              Map.of("pipeline", pipeline, "id", pipeline + "-doc", "payload", payload));
      services
          .jedis()
          .xadd(
              services.keys().inbox(),
              StreamEntryID.NEW_ENTRY,
              Map.of(
                  "pipeline",
                  pipeline,
                  "id",
                  pipeline + "-short",
                  "payload",
                  "{\"text\":\"Acme Widgets Ltd. hired Jane Smith.\"}"));
    }

    await()
        .atMost(90, SECONDS)
        .pollInterval(Duration.ofMillis(250))
        .untilAsserted(() ->
            assertThat(
                    services.queryLong(
                        "SELECT count(*) FROM conveyor.task_audit WHERE outcome = 'delivered'"))
                .isEqualTo(4));

    assertThat(rows(services, "ner-short"))
        .containsExactly("company|Acme Widgets Ltd.|0|17|0", "person|Jane Smith|24|34|0");
    List<String> ner = rows(services, "ner-doc");
    assertThat(ner.stream().map(r -> r.substring(0, r.lastIndexOf('|'))).sorted().toList())
        .isEqualTo(expectedRows(text));
    assertThat(ner).extracting(r -> r.substring(r.lastIndexOf('|') + 1)).contains("0", "1");
    assertThat(rows(services, "ner-py-doc")).isEqualTo(ner);
    assertThat(rows(services, "ner-py-short")).isEqualTo(rows(services, "ner-short"));
    assertThat(services.queryLong("SELECT count(*) FROM conveyor.dead_items")).isZero();

    for (DaemonProcess d : daemons) {
      int code = d.stop(Duration.ofSeconds(30));
      assertThat(code).as(d.name() + " exit code after SIGTERM").isIn(0, 143);
      assertThat(d.logLines())
          .as(d.name() + " logged no ERROR")
          .noneMatch(l -> l.contains(" ERROR "));
    }
  }

  /** kind|surface|start|end|part of one task's rows, in key order. */
  private static List<String> rows(TestServices services, String taskId) throws Exception {
    List<String> rows = new ArrayList<>();
    try (Connection c = services.dataSource().getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT kind, surface, start_offset, end_offset, part FROM conveyor.ner_entities"
                    + " WHERE task_id = ? ORDER BY kind, start_offset")) {
      ps.setString(1, taskId);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          rows.add(
              rs.getString(1)
                  + "|"
                  + rs.getString(2)
                  + "|"
                  + rs.getInt(3)
                  + "|"
                  + rs.getInt(4)
                  + "|"
                  + rs.getInt(5));
        }
      }
    }
    return rows;
  }
}
