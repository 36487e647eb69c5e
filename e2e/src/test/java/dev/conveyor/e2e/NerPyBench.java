package dev.conveyor.e2e;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.cli.embedded.EmbeddedRun;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import dev.conveyor.runtime.ledger.QueueItem;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.PipelineLoader;
import dev.conveyor.runtime.pipeline.StepDef;
import dev.conveyor.runtime.work.ItemResult;
import dev.conveyor.runtime.work.WorkItem;
import dev.conveyor.runtime.work.command.CommandWork;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.StreamEntryID;

/**
 * {@code ner} against {@code ner-py} (its person step in Python on the step library, in batches) on
 * the same documents — the Debian copyright files of this machine — in the same run of the trio,
 * and {@code ner-py} once more with the person step held to the one-item protocol (the library's
 * hello saying {@code "batch": false}): messages/s of each, and whether the rows of {@code ner-py}
 * equal those of {@code ner}. Run with {@code deploy/bin/bench nerPy} ({@code BENCH_MESSAGES}: how
 * many documents, 400 by default).
 */
@WithServices
class NerPyBench {
  private static final int DOCUMENTS = Integer.getInteger("bench.messages", 800);
  private static final int ROUNDS = Integer.getInteger("bench.rounds", 5);
  // why: each round sends the documents this many times (other task ids), so that a round lasts
  // seconds and measures a rate rather than how long the last part takes through five steps
  private static final int COPIES = Integer.getInteger("bench.copies", 4);

  @Test
  void nerPy(TestServices services, @TempDir Path dir) throws Exception {
    Path pipelines = Repo.root().resolve("deploy/pipelines");
    for (String file :
        List.of(
            "ner.yaml",
            "ner-py.yaml",
            "data/first_names.txt",
            "data/person_words.txt",
            "steps/person.py",
            "steps/conveyor_step.py")) {
      Files.createDirectories(dir.resolve(file).getParent());
      Files.copy(pipelines.resolve(file), dir.resolve(file));
    }
    Files.writeString(
        dir.resolve("steps/person_single.py"),
        """
        import os, runpy, sys
        import conveyor_step
        conveyor_step.BATCH = False
        sys.argv[0] = os.path.join(os.path.dirname(__file__), "person.py")
        runpy.run_path(sys.argv[0], run_name="__main__")
        """);
    Files.writeString(
        dir.resolve("ner-py-single.yaml"),
        Files.readString(dir.resolve("ner-py.yaml"))
            .replace("pipeline: ner-py", "pipeline: ner-py-single")
            .replace("steps/person.py", "steps/person_single.py"));
    List<EmbeddedRun.Input> files = NerCorpus.documents(DOCUMENTS);
    List<EmbeddedRun.Input> docs = new ArrayList<>();
    for (int copy = 0; copy < COPIES; copy++) {
      docs.addAll(files);
    }

    Map<String, String> env = new HashMap<>(services.env());
    env.put("CONVEYOR_PIPELINES", dir.toString());
    env.put("JAVA_OPTS", "-Xmx1g " + System.getProperty("bench.jvm", ""));
    Path logs = Repo.root().resolve("e2e/target/e2e-logs/bench-ner-py");
    List<DaemonProcess> daemons = new ArrayList<>();
    for (String d : List.of("dispatcher", "processor")) {
      daemons.add(new DaemonProcess(d, env, logs).start());
    }
    List<String> rows = new ArrayList<>();
    Map<String, Double> rates = new HashMap<>(); // pipeline -> seconds over all rounds
    Map<String, List<Map<String, Double>>> cpu = new HashMap<>(); // pipeline -> µs/doc per round
    Map<Long, String> roles = new HashMap<>();
    try {
      await().atMost(60, SECONDS).until(() -> daemons.stream().allMatch(DaemonProcess::healthy));
      daemons.forEach(d -> roles.put(d.pid(), d.name()));
      // why: a warm-up of each over every document, so that none pays for the JIT or Python's
      // start-up in its figures (with 20 documents, ner's first round still ran at a third)
      int warm = files.size();
      for (String pipeline : List.of("ner", "ner-py", "ner-py-single")) {
        publish(services, pipeline, "warm." + pipeline, docs.subList(0, warm));
        awaitDone(services, "warm." + pipeline, warm);
      }
      List<String> order = List.of("ner", "ner-py", "ner-py-single");
      for (int round = 1; round <= ROUNDS; round++) {
        // why: each round starts with another pipeline, so that none always runs first
        for (int k = 0; k < order.size(); k++) {
          String pipeline = order.get((k + round - 1) % order.size());
          String prefix = "r" + round + "." + pipeline;
          CpuSplit before = CpuSplit.take(roles);
          publish(services, pipeline, prefix, docs);
          awaitDone(services, prefix, docs.size());
          cpu.computeIfAbsent(pipeline, p -> new ArrayList<>())
              .add(CpuSplit.take(roles).perItem(before, docs.size()));
          double seconds = span(services, prefix);
          rates.merge(pipeline, seconds, Double::sum);
          rows.add(
              String.format(
                  Locale.ROOT,
                  "| %s, round %d | %,d | %.2f | %,.0f |",
                  pipeline,
                  round,
                  docs.size(),
                  seconds,
                  docs.size() / seconds));
        }
      }
    } finally {
      for (DaemonProcess d : daemons) {
        d.stop(Duration.ofSeconds(30));
      }
    }
    long differing = differingRows(services, "r1.ner", "r1.ner-py");
    long nerRows =
        services.queryLong(
            "SELECT count(*) FROM conveyor.ner_entities WHERE task_id LIKE 'r1.ner.%'");
    StringBuilder md = new StringBuilder();
    md.append("### ner and ner-py\n\n`deploy/bin/bench nerPy` — ")
        .append(BenchReport.Machine.describe())
        .append(", ")
        .append(files.size())
        .append(" Debian copyright files as documents, sent ")
        .append(COPIES)
        .append(" times each round (")
        .append(docs.size())
        .append(" tasks), ")
        .append(parts(services, "r1.ner"))
        .append(" parts\n\n")
        .append("| run | documents | seconds | documents/s |\n|---|---:|---:|---:|\n");
    rows.forEach(r -> md.append(r).append('\n'));
    md.append(
        String.format(
            Locale.ROOT,
            "%nRate over all rounds (documents / seconds summed), relative to ner: ner-py %.2f,"
                + " ner-py one item per request %.2f. Rows of ner-py differing from ner's: %d of"
                + " %,d.%n",
            rates.get("ner") / rates.get("ner-py"),
            rates.get("ner") / rates.get("ner-py-single"),
            differing,
            nerRows));
    md.append("\nCPU per document, µs (mean of the rounds; `steps`: the Python workers):\n\n")
        .append(CpuSplit.header("pipeline"))
        .append('\n');
    for (String pipeline : List.of("ner", "ner-py", "ner-py-single")) {
      md.append(CpuSplit.row(pipeline, CpuSplit.mean(cpu.get(pipeline)))).append('\n');
    }
    md.append("\nThe person step alone, through `CommandWork` (no Redis, no PostgreSQL), over the")
        .append(" documents cut in parts of 2,000 characters, batches of 100:\n\n")
        .append("| run | parts | seconds | parts/s |\n|---|---:|---:|---:|\n");
    stepAlone(dir, files, md);
    Path out = Repo.root().resolve("e2e/target/bench/ner-py.md");
    Files.createDirectories(out.getParent());
    Files.writeString(out, md);
    System.out.println(md);
  }

  /**
   * The person step of ner-py and of ner-py-single run by {@link CommandWork} over the same parts,
   * three times each in turn: what the protocol costs, apart from the rest of the pipeline.
   */
  private static void stepAlone(Path dir, List<EmbeddedRun.Input> docs, StringBuilder md)
      throws Exception {
    List<WorkItem> parts = new ArrayList<>();
    for (EmbeddedRun.Input doc : docs) {
      String text = doc.payload().get("text").textValue();
      for (int from = 0; from < text.length(); from += 2000) {
        var input = new ObjectMapper().createObjectNode();
        input.put("text", text.substring(from, Math.min(text.length(), from + 2000)));
        input.put("offset", from);
        parts.add(
            new WorkItem(
                new QueueItem(doc.taskId(), parts.size(), "0-" + parts.size()), input.toString()));
      }
    }
    for (int round = 1; round <= 3; round++) {
      for (String pipeline : List.of("ner-py", "ner-py-single")) {
        Pipeline p = PipelineLoader.loadFile(dir.resolve(pipeline + ".yaml"));
        StepDef person =
            p.steps().stream().filter(s -> s.name().equals("person")).findFirst().orElseThrow();
        try (CommandWork work = CommandWork.of(p, person)) {
          work.start();
          work.process(parts.subList(0, 200));
          long start = System.nanoTime();
          for (int from = 0; from < parts.size(); from += 100) {
            for (ItemResult r :
                work.process(parts.subList(from, Math.min(parts.size(), from + 100)))) {
              if (r instanceof ItemResult.Failed f) {
                throw new AssertionError("person failed: " + f.error());
              }
            }
          }
          double seconds = (System.nanoTime() - start) / 1e9;
          String row =
              String.format(
                  Locale.ROOT,
                  "| %s person step, round %d | %,d | %.2f | %,.0f |",
                  pipeline,
                  round,
                  parts.size(),
                  seconds,
                  parts.size() / seconds);
          System.out.println("bench: " + row);
          md.append(row).append('\n');
        }
      }
    }
  }

  private static void publish(
      TestServices services, String pipeline, String prefix, List<EmbeddedRun.Input> docs) {
    try (AbstractPipeline p = services.jedis().pipelined()) {
      for (int i = 0; i < docs.size(); i++) {
        p.xadd(
            services.keys().inbox(),
            StreamEntryID.NEW_ENTRY,
            Map.of(
                "pipeline",
                pipeline,
                "id",
                prefix + "." + i,
                "payload",
                docs.get(i).payload().toString()));
      }
      p.sync();
    }
  }

  private static void awaitDone(TestServices services, String prefix, int n) {
    String done = "SELECT count(*) FROM conveyor.task_audit WHERE task_id LIKE '" + prefix + ".%'";
    await()
        .atMost(Duration.ofMinutes(30))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> services.queryLong(done) == n);
  }

  /** Seconds from the first message received to the last task finished. */
  private static double span(TestServices services, String prefix) throws Exception {
    try (var c = services.dataSource().getConnection();
        var rs =
            c.createStatement()
                .executeQuery(
                    "SELECT extract(epoch FROM max(finished_at) - min(received_at))"
                        + " FROM conveyor.task_audit WHERE task_id LIKE '"
                        + prefix
                        + ".%'")) {
      rs.next();
      return rs.getDouble(1);
    }
  }

  private static long parts(TestServices services, String prefix) {
    return services.queryLong(
        "SELECT sum(parts) FROM conveyor.task_audit WHERE task_id LIKE '" + prefix + ".%'");
  }

  /** Rows of one run that the other has not, both ways, compared per document. */
  private static long differingRows(TestServices services, String a, String b) {
    String rows =
        "SELECT substr(task_id, length('%1$s.') + 1) AS doc, kind, surface, start_offset,"
            + " end_offset, part FROM conveyor.ner_entities WHERE task_id LIKE '%1$s.%%'";
    return services.queryLong(
        "SELECT count(*) FROM (("
            + rows.formatted(a)
            + " EXCEPT "
            + rows.formatted(b)
            + ") UNION ALL ("
            + rows.formatted(b)
            + " EXCEPT "
            + rows.formatted(a)
            + ")) d");
  }
}
