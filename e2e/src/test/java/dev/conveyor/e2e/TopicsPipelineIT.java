package dev.conveyor.e2e;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.cli.embedded.EmbeddedRun;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.PipelineLoader;
import dev.conveyor.runtime.resource.SharedResources;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.StreamEntryID;

/**
 * The model step example, {@code deploy/pipelines/topics.yaml}: its Python step memory-maps the
 * lexicon learnt from this machine's documents at build time ({@code data/lexicon.bin}) and scores
 * every part in batches. A few hundred real documents (the Debian copyright files) go through the
 * three daemons into {@code conveyor.topic_keywords}, and the rows must equal exactly what {@code
 * conveyor run} computes in one process.
 */
@WithServices
class TopicsPipelineIT {
  private static final int DOCUMENTS = 300;
  private final List<DaemonProcess> daemons = new ArrayList<>();

  /** A row: task, part, rank, word, hits, score (6 decimals). */
  record Row(String taskId, int part, int rank, String word, int hits, BigDecimal score) {
    static final Comparator<Row> KEY_ORDER =
        Comparator.comparing(Row::taskId).thenComparingInt(Row::part).thenComparingInt(Row::rank);
  }

  @AfterEach
  void killLeftovers() throws InterruptedException {
    for (DaemonProcess d : daemons) {
      d.killIfAlive();
    }
  }

  @Test
  void distributedRowsEqualTheEmbeddedRun(TestServices services) throws Exception {
    Path pipelines = Repo.root().resolve("deploy/pipelines");
    assertThat(pipelines.resolve("data/lexicon.bin"))
        .as("the lexicon the e2e build makes (deploy/bin/build-lexicon)")
        .isRegularFile();
    assertThat(Files.size(pipelines.resolve("data/lexicon.bin"))).isGreaterThan(10_000);
    List<EmbeddedRun.Input> documents = NerCorpus.documents(DOCUMENTS);
    assertThat(documents).as("real documents found on this machine").hasSize(DOCUMENTS);

    Pipeline topics = PipelineLoader.loadFile(pipelines.resolve("topics.yaml"));
    List<Row> expected = new ArrayList<>();
    try (EmbeddedRun run = new EmbeddedRun(topics, new SharedResources()).start()) {
      for (ObjectNode row : run.run(documents).rows()) {
        expected.add(
            new Row(
                row.get("task_id").asText(),
                row.get("part").asInt(),
                row.get("rank").asInt(),
                row.get("word").asText(),
                row.get("hits").asInt(),
                new BigDecimal(row.get("score").asText()).setScale(6, RoundingMode.HALF_EVEN)));
      }
    }
    expected.sort(Row.KEY_ORDER);
    assertThat(expected.stream().map(Row::taskId).distinct().count())
        .as("nearly every document has keywords")
        .isGreaterThan(DOCUMENTS * 9 / 10);
    assertThat(expected).allMatch(r -> r.rank() >= 1 && r.rank() <= 5 && r.score().signum() > 0);

    Map<String, String> env = new HashMap<>(services.env());
    env.put("CONVEYOR_PIPELINES", pipelines.toString());
    Path logs = Repo.root().resolve("e2e/target/e2e-logs/topics-pipeline");
    for (String daemon : List.of("dispatcher", "processor", "patrol")) {
      daemons.add(new DaemonProcess(daemon, env, logs).start());
    }
    await().atMost(60, SECONDS).until(() -> daemons.stream().allMatch(DaemonProcess::healthy));
    try (AbstractPipeline p = services.jedis().pipelined()) {
      for (EmbeddedRun.Input d : documents) {
        p.xadd(
            services.keys().inbox(),
            StreamEntryID.NEW_ENTRY,
            Map.of("pipeline", "topics", "id", d.taskId(), "payload", d.payload().toString()));
      }
      p.sync();
    }
    await()
        .atMost(120, SECONDS)
        .pollInterval(Duration.ofMillis(500))
        .until(() ->
            services.queryLong("SELECT count(*) FROM conveyor.task_audit WHERE pipeline = 'topics'")
                == DOCUMENTS);

    assertThat(
            services.queryLong(
                "SELECT count(*) FROM conveyor.task_audit WHERE outcome <> 'delivered'"))
        .isZero();
    assertThat(services.queryLong("SELECT count(*) FROM conveyor.dead_items")).isZero();
    assertThat(rows(services)).isEqualTo(expected);
    assertThat(daemons.get(1).logLines())
        .as("the step mapped the lexicon")
        .anyMatch(l -> l.contains("event=lexicon_mapped"));
  }

  /** Every row of {@code conveyor.topic_keywords}, in key order. */
  private static List<Row> rows(TestServices services) throws java.sql.SQLException {
    List<Row> rows = new ArrayList<>();
    try (var c = services.dataSource().getConnection();
        var s = c.createStatement();
        var rs =
            s.executeQuery(
                "SELECT task_id, part, rank, word, hits, score FROM conveyor.topic_keywords")) {
      while (rs.next()) {
        rows.add(
            new Row(
                rs.getString(1),
                rs.getInt(2),
                rs.getInt(3),
                rs.getString(4),
                rs.getInt(5),
                rs.getBigDecimal(6).setScale(6, RoundingMode.HALF_EVEN)));
      }
    }
    rows.sort(Row.KEY_ORDER);
    return rows;
  }
}
