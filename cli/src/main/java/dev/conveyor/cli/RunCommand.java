package dev.conveyor.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.cli.embedded.EmbeddedRun;
import dev.conveyor.common.redis.Keys;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.resource.SharedResources;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code conveyor run --pipeline NAME --input FILE.jsonl}: runs a pipeline in this process with no
 * Redis and no PostgreSQL ({@link EmbeddedRun}: the same splitter and step code as the daemons) and
 * prints the rows its sinks would deliver as JSON lines, sorted by the sink's key. Input lines are
 * those of {@code conveyor publish}: {@code {"id": ..., "pipeline": ..., "payload": {...}}} (a line
 * without {@code id} is {@code line-<n>}; a line of another pipeline is skipped). It is how a user
 * tries a pipeline, and the reference a distributed run must equal.
 */
@Command(
    name = "run",
    description = {
      "Runs a pipeline in this process, with no Redis and no PostgreSQL, and prints the rows its"
          + " sinks would deliver as JSON lines, sorted by the sink's key.",
      "Input: JSON lines {\"id\": ..., \"pipeline\": ..., \"payload\": {...}} ('-' reads stdin).",
    },
    exitCodeListHeading = Conveyor.EXIT_CODES,
    exitCodeList = {
      "0:every task ran (items that failed their last attempt are reported on stderr)",
      "1:some input lines or tasks could not be run (reported on stderr)",
      "2:usage or configuration error (unknown pipeline, unreadable input)",
      Conveyor.INTERNAL_ERROR_LINE
    })
final class RunCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final CliContext context;
  private final Supplier<InputStream> stdin;

  @Mixin private CommandIo io;

  @Option(names = "--pipeline", required = true, description = "the pipeline to run")
  private String pipelineName;

  @Option(names = "--input", required = true, description = "JSON lines to run, or - for stdin")
  private String input;

  /**
   * @param stdin what {@code --input -} reads
   */
  RunCommand(CliContext context, Supplier<InputStream> stdin) {
    this.context = context;
    this.stdin = stdin;
  }

  @Override
  public Integer call() throws IOException {
    Pipeline pipeline =
        context
            .pipelines()
            .get(pipelineName)
            .orElseThrow(() ->
                io.usageError(
                    "no pipeline '"
                        + pipelineName
                        + "' in "
                        + context.config().pipelines()
                        + " (loaded: "
                        + context.pipelines().names()
                        + ")"));
    List<EmbeddedRun.Input> tasks = new ArrayList<>();
    int problems = read(tasks);
    PrintWriter out = io.out();
    PrintWriter err = io.err();
    EmbeddedRun.Result result;
    try (EmbeddedRun run = new EmbeddedRun(pipeline, new SharedResources()).start()) {
      result = run.run(tasks);
    }
    for (ObjectNode row : result.rows()) {
      out.println(row.toString());
    }
    out.flush();
    for (EmbeddedRun.Unsplittable u : result.unsplittable()) {
      err.println("conveyor: task " + u.taskId() + " not run: " + u.reason());
    }
    for (EmbeddedRun.Dead d : result.dead()) {
      err.println(
          "conveyor: task "
              + d.taskId()
              + " part "
              + d.part()
              + " dead at "
              + d.step()
              + ": "
              + d.error());
    }
    err.flush();
    return problems + result.unsplittable().size() > 0 ? Conveyor.EXIT_NOT_FOUND : 0;
  }

  /** Reads the input lines into tasks; returns how many lines could not be used. */
  private int read(List<EmbeddedRun.Input> tasks) throws IOException {
    int problems = 0;
    Set<String> ids = new HashSet<>();
    try (BufferedReader reader = open()) {
      String line;
      int n = 0;
      while ((line = reader.readLine()) != null) {
        n++;
        if (line.isBlank()) {
          continue;
        }
        String problem = null;
        try {
          JsonNode node = JSON.readTree(line);
          String id = node.path("id").isTextual() ? node.get("id").textValue() : "line-" + n;
          String p = node.path("pipeline").asText(pipelineName);
          if (!p.equals(pipelineName)) {
            continue;
          }
          if (!Keys.TASK_ID.matcher(id).matches()) {
            problem = "bad id '" + id + "'";
          } else if (!(node.get("payload") instanceof ObjectNode payload)) {
            problem = "payload is not a JSON object";
          } else if (!ids.add(id)) {
            problem = "duplicate id " + id + " (kept the first)";
          } else {
            tasks.add(new EmbeddedRun.Input(id, payload));
          }
        } catch (JsonProcessingException e) {
          problem = "not JSON: " + e.getOriginalMessage();
        }
        if (problem != null) {
          problems++;
          io.problem("input line " + n + " skipped: " + problem);
        }
      }
    }
    return problems;
  }

  private BufferedReader open() throws IOException {
    if (input.equals("-")) {
      return new BufferedReader(new InputStreamReader(stdin.get(), StandardCharsets.UTF_8));
    }
    Path path = Path.of(input);
    if (!Files.isReadable(path)) {
      throw io.usageError("cannot read input file " + path);
    }
    return Files.newBufferedReader(path, StandardCharsets.UTF_8);
  }
}
