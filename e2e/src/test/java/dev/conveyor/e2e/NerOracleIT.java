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
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.StreamEntryID;

/**
 * The {@code ner} pipeline, distributed, against its embedded run: a few hundred real documents
 * (the Debian copyright files of this machine — text nobody here wrote) go through the three
 * daemons into {@code conveyor.ner_entities}, and the rows must equal exactly what {@code conveyor
 * run} computes in one process.
 */
@WithServices
class NerOracleIT {
  private static final int DOCUMENTS = 300;
  private final List<DaemonProcess> daemons = new ArrayList<>();

  @AfterEach
  void killLeftovers() throws InterruptedException {
    for (DaemonProcess d : daemons) {
      d.killIfAlive();
    }
  }

  @Test
  void distributedRowsEqualTheEmbeddedRun(TestServices services) throws Exception {
    Path pipelines = Repo.root().resolve("deploy/pipelines");
    List<EmbeddedRun.Input> documents = NerCorpus.documents(DOCUMENTS);
    assertThat(documents).as("real documents found on this machine").hasSize(DOCUMENTS);

    Pipeline ner = PipelineLoader.loadFile(pipelines.resolve("ner.yaml"));
    List<ObjectNode> expected;
    try (EmbeddedRun run = new EmbeddedRun(ner, new SharedResources()).start()) {
      expected = run.run(documents).rows();
    }
    assertThat(expected).as("the documents mention companies and people").hasSizeGreaterThan(100);

    Map<String, String> env = new HashMap<>(services.env());
    env.put("CONVEYOR_PIPELINES", pipelines.toString());
    Path logs = Repo.root().resolve("e2e/target/e2e-logs/ner-oracle");
    for (String daemon : List.of("dispatcher", "processor", "patrol")) {
      daemons.add(new DaemonProcess(daemon, env, logs).start());
    }
    await().atMost(60, SECONDS).until(() -> daemons.stream().allMatch(DaemonProcess::healthy));
    try (AbstractPipeline p = services.jedis().pipelined()) {
      for (EmbeddedRun.Input d : documents) {
        p.xadd(
            services.keys().inbox(),
            StreamEntryID.NEW_ENTRY,
            Map.of("pipeline", "ner", "id", d.taskId(), "payload", d.payload().toString()));
      }
      p.sync();
    }
    await()
        .atMost(180, SECONDS)
        .pollInterval(Duration.ofSeconds(1))
        .until(() ->
            services.queryLong("SELECT count(*) FROM conveyor.task_audit WHERE pipeline = 'ner'")
                == DOCUMENTS);

    assertThat(
            services.queryLong(
                "SELECT count(*) FROM conveyor.task_audit WHERE outcome <> 'delivered'"))
        .isZero();
    assertThat(NerCorpus.rows(services)).isEqualTo(NerCorpus.normal(expected));
  }
}
