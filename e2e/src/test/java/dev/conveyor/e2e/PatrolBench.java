package dev.conveyor.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import dev.conveyor.runtime.ledger.Registration;
import dev.conveyor.runtime.ledger.TaskIntake;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.PipelineLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One patrol round's time with 1k, 10k and 100k tasks in flight (each a task of 4 parts with
 * progress, none stuck): the patrol jar as a real process, its rounds' durations read from its
 * {@code event=patrol_round ... ms=} lines. Run with {@code deploy/bin/bench patrol}.
 */
@WithServices
class PatrolBench {
  private static final Pattern MS =
      Pattern.compile("event=patrol_round .*examined=(\\d+) .* ms=(\\d+)");

  @Test
  void auditRoundTimeGrowsWithTasksInFlight(TestServices services, @TempDir Path dir)
      throws Exception {
    String yaml =
        """
        pipeline: audited
        version: 1
        max_in_flight: 10000000
        steps:
          - {name: first, kind: java, class: dev.conveyor.runtime.step.builtin.Identity}
          - {name: deliver, kind: sink, after: first, sink: {table: conveyor.echo_rows, key: [task_id, part]}}
        """;
    Files.writeString(dir.resolve("audited.yaml"), yaml);
    Pipeline pipeline = PipelineLoader.parse(yaml, "audited.yaml");
    TaskIntake intake = new TaskIntake(services.jedis(), services.keys());
    StringBuilder md =
        new StringBuilder(
            "### Patrol audit round\n\n`deploy/bin/bench patrol` — "
                + BenchReport.Machine.describe()
                + "\n\n| tasks in flight | parts | round (ms, median of 5) |\n|---:|---:|---:|\n");
    int registered = 0;
    for (int target : List.of(1_000, 10_000, 100_000)) {
      while (registered < target) {
        List<Registration> batch = new ArrayList<>();
        for (int i = registered; i < Math.min(target, registered + 1000); i++) {
          batch.add(
              new Registration(
                  "a-" + i, pipeline, "1-" + i, Instant.now(), List.of("{}", "{}", "{}", "{}")));
        }
        intake.registerAll(batch);
        intake.dispatchAll(batch);
        registered += batch.size();
      }
      long median = medianRound(services, dir, target);
      md.append(String.format(Locale.ROOT, "| %,d | %,d | %d |%n", target, target * 4, median));
      System.out.println("bench: patrol round with " + target + " in flight: " + median + " ms");
    }
    Path out = Repo.root().resolve("e2e/target/bench/patrol.md");
    Files.createDirectories(out.getParent());
    Files.writeString(out, md);
    System.out.println(md);
  }

  private static long medianRound(TestServices services, Path dir, int inFlight) throws Exception {
    Map<String, String> env = new HashMap<>(services.env());
    env.put("CONVEYOR_PIPELINES", dir.toString());
    env.put("CONVEYOR_PATROL_INTERVAL", "200ms");
    env.put("CONVEYOR_PATROL_BUDGET", "200000");
    env.put("JAVA_OPTS", "-Xmx512m");
    DaemonProcess patrol =
        new DaemonProcess(
                "patrol", env, Repo.root().resolve("e2e/target/e2e-logs/bench-patrol-" + inFlight))
            .start();
    try {
      List<Long> rounds = new ArrayList<>();
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofMinutes(5))
          .pollInterval(Duration.ofMillis(200))
          .until(() -> {
            rounds.clear();
            for (String line : patrol.logLines()) {
              Matcher m = MS.matcher(line);
              if (m.find() && Integer.parseInt(m.group(1)) == inFlight) {
                rounds.add(Long.parseLong(m.group(2)));
              }
            }
            // why: the first rounds warm the JVM up; take the median of the next five
            return rounds.size() >= 7;
          });
      List<Long> sample = new ArrayList<>(rounds.subList(2, 7));
      sample.sort(Long::compare);
      assertThat(sample).hasSize(5);
      return sample.get(2);
    } finally {
      patrol.stop(Duration.ofSeconds(30));
    }
  }
}
