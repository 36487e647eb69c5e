package dev.conveyor.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.runtime.ledger.QueueItem;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.PipelineLoader;
import dev.conveyor.runtime.work.ItemResult;
import dev.conveyor.runtime.work.WorkItem;
import dev.conveyor.runtime.work.command.CommandWork;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What N Python workers of one command step cost holding a 200 MiB resource: memory-mapped through
 * the step library ({@code ctx.resource}, every page touched) versus read into each process (what a
 * step does without resources), and neither (the interpreter alone). Total RSS and PSS of the
 * worker processes from {@code /proc/<pid>/smaps_rollup}, read while every worker holds it; PSS
 * shares each page among the processes mapping it, so it is what the workers cost together. Run
 * with {@code deploy/bin/bench commandResources} ({@code -Dbench.resource.mb}, 200 by default).
 */
class CommandResourcesBench {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MB = Integer.getInteger("bench.resource.mb", 200);

  static final String HOLD =
      """
      import os
      import conveyor_step

      def setup(ctx):
          mode = ctx.options["mode"]
          if mode == "mapped":
              held = ctx.resource("model")
          elif mode == "loaded":
              with open(ctx.resource_path("model"), "rb") as f:
                  held = f.read()
          else:
              return None
          # why: every page touched, as a model's weights are when it runs
          total = 0
          for i in range(0, len(held), 4096):
              total += held[i]
          ctx.log("held", mode=mode, bytes=len(held), checksum=total)
          return held

      conveyor_step.run(lambda data, ctx: {"pid": os.getpid()}, setup=setup)
      """;

  @Test
  void commandResources(@TempDir Path dir) throws Exception {
    Path pipelines = Repo.root().resolve("deploy/pipelines");
    Files.createDirectories(dir.resolve("steps"));
    Files.copy(pipelines.resolve("steps/conveyor_step.py"), dir.resolve("steps/conveyor_step.py"));
    Files.writeString(dir.resolve("steps/hold.py"), HOLD);
    writeRandom(dir.resolve("model.bin"), MB);

    StringBuilder md = new StringBuilder();
    md.append("### Command step resources\n\n`deploy/bin/bench commandResources` — ")
        .append(BenchReport.Machine.describe())
        .append(", Python ")
        .append(pythonVersion())
        .append(", a ")
        .append(MB)
        .append(" MiB resource\n\n")
        .append(
            "| mode | workers | total RSS MiB | total PSS MiB | PSS per worker MiB |\n"
                + "|---|---:|---:|---:|---:|\n");
    for (String mode : List.of("none", "mapped", "loaded")) {
      for (int workers : List.of(1, 4, 16)) {
        long[] kb = measure(dir, mode, workers);
        String row =
            String.format(
                Locale.ROOT,
                "| %s | %d | %.1f | %.1f | %.1f |",
                mode,
                workers,
                kb[0] / 1024.0,
                kb[1] / 1024.0,
                kb[1] / 1024.0 / workers);
        System.out.println("bench: " + row);
        md.append(row).append('\n');
      }
    }
    Path out = Repo.root().resolve("e2e/target/bench/command-resources.md");
    Files.createDirectories(out.getParent());
    Files.writeString(out, md);
    System.out.println(md);
  }

  /** Total Rss and Pss (KiB) of the workers of a step holding the resource as {@code mode}. */
  private static long[] measure(Path dir, String mode, int workers) throws Exception {
    Path yaml = dir.resolve("hold-" + mode + "-" + workers + ".yaml");
    Files.writeString(
        yaml,
        """
        pipeline: hold
        version: 1
        resources: {model: model.bin}
        steps:
          - {name: hold, kind: command, command: [python3, steps/hold.py], workers: %d,
             timeout: 120s, resources: [model], options: {mode: %s}}
        """
            .formatted(workers, mode));
    Pipeline pipeline = PipelineLoader.loadFile(yaml);
    try (CommandWork work = CommandWork.of(pipeline, pipeline.steps().getFirst())) {
      work.start();
      // why: a batch of n items goes to every worker, each of which answers once set up
      List<WorkItem> items =
          IntStream.range(0, workers)
              .mapToObj(i -> new WorkItem(new QueueItem("bench", i, "0-" + i), "{}"))
              .toList();
      List<Long> pids = new ArrayList<>();
      for (ItemResult r : work.process(items)) {
        if (!(r instanceof ItemResult.Output(String output, var _))) {
          throw new AssertionError("a worker failed: " + r);
        }
        JsonNode data = JSON.readTree(output);
        pids.add(data.get("pid").asLong());
      }
      long[] total = new long[2];
      for (long pid : pids.stream().distinct().toList()) {
        long[] one = smapsRollup(pid);
        total[0] += one[0];
        total[1] += one[1];
      }
      if (pids.stream().distinct().count() != workers) {
        throw new AssertionError("expected " + workers + " worker processes, got " + pids);
      }
      return total;
    }
  }

  /** Rss and Pss (KiB) of one process. */
  private static long[] smapsRollup(long pid) throws IOException {
    long rss = 0;
    long pss = 0;
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/smaps_rollup"))) {
      if (line.startsWith("Rss:")) {
        rss = Long.parseLong(line.replaceAll("\\D", ""));
      } else if (line.startsWith("Pss:")) {
        pss = Long.parseLong(line.replaceAll("\\D", ""));
      }
    }
    return new long[] {rss, pss};
  }

  private static void writeRandom(Path file, int mb) throws IOException {
    Random random = new Random(17);
    byte[] chunk = new byte[1 << 20];
    try (OutputStream out = Files.newOutputStream(file)) {
      for (int i = 0; i < mb; i++) {
        random.nextBytes(chunk);
        out.write(chunk);
      }
    }
  }

  private static String pythonVersion() throws Exception {
    Process p = new ProcessBuilder("python3", "--version").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes()).strip();
    p.waitFor();
    return out.replace("Python ", "");
  }
}
