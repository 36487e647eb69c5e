package dev.conveyor.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.runtime.records.DeadItem;
import dev.conveyor.runtime.records.DeadItemRepository;
import dev.conveyor.runtime.records.RejectedMessage;
import dev.conveyor.runtime.records.RejectedMessageRepository;
import java.io.PrintWriter;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import javax.sql.DataSource;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code conveyor dead [--task ID] [--pipeline P] [--step S] [--limit N] [--json]}: dead items
 * ({@code dead_items}) and rejected messages ({@code rejected_messages}), newest first. {@code
 * --task} and {@code --pipeline} match a rejected message's {@code id} and {@code pipeline} fields;
 * with {@code --step} no rejected messages are listed (they never reached a step).
 */
@Command(
    name = "dead",
    description = {
      "Dead items (dead_items) and rejected messages (rejected_messages), newest first.",
    },
    exitCodeListHeading = Conveyor.EXIT_CODES,
    exitCodeList = {
      "0:done (also when there is nothing to list)",
      Conveyor.USAGE_ERROR_LINE,
      "3:PostgreSQL unreachable or failing",
      Conveyor.INTERNAL_ERROR_LINE
    })
final class DeadCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_ERROR = 80;

  private final CliContext context;

  @Mixin private CommandIo io;

  @Option(names = "--task", paramLabel = "ID", description = "only this task")
  private String task;

  @Option(names = "--pipeline", paramLabel = "P", description = "only this pipeline")
  private String pipeline;

  @Option(names = "--step", paramLabel = "S", description = "only dead items of this step")
  private String step;

  @Option(
      names = "--limit",
      paramLabel = "N",
      defaultValue = "20",
      description = "at most N of each kind (default: ${DEFAULT-VALUE})")
  private int limit;

  @Option(
      names = "--json",
      description =
          "one JSON object per line: {\"kind\":\"dead\",...} or {\"kind\":\"rejected\",...}")
  private boolean json;

  DeadCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() {
    if (limit < 1) {
      throw io.usageError("--limit must be >= 1, was " + limit);
    }
    DataSource pg = context.postgres();
    List<DeadItem> dead = new DeadItemRepository(pg).list(task, pipeline, step, limit);
    List<RejectedMessage> rejected =
        step != null
            ? List.of()
            : new RejectedMessageRepository(pg).list(null, pipeline, task, limit);
    PrintWriter out = io.out();
    if (json) {
      dead.forEach(d -> io.printJson(dead(d)));
      rejected.forEach(r -> io.printJson(rejected(r)));
      return Conveyor.EXIT_OK;
    }
    Table deadTable =
        new Table().row("FAILED", "PIPELINE", "STEP", "TASK", "PART", "ATTEMPTS", "ERROR");
    for (DeadItem d : dead) {
      deadTable.row(
          d.failedAt().truncatedTo(ChronoUnit.SECONDS),
          d.pipeline(),
          d.step(),
          d.taskId(),
          d.part() < 0 ? "task" : d.part(),
          d.attempts(),
          shorten(d.error()));
    }
    out.println("dead items (" + dead.size() + (dead.size() == limit ? ", limit reached)" : ")"));
    if (!deadTable.isEmpty()) {
      deadTable.lines("  ").forEach(out::println);
    }
    if (step == null) {
      Table rejTable =
          new Table().row("RECEIVED", "REASON", "STREAM ID", "PIPELINE", "ID", "DETAIL");
      for (RejectedMessage r : rejected) {
        Map<String, Object> fields = fields(r);
        rejTable.row(
            r.receivedAt().truncatedTo(ChronoUnit.SECONDS),
            r.reason(),
            r.streamId(),
            fields.get("pipeline"),
            fields.get("id"),
            shorten(r.detail()));
      }
      out.println(
          "rejected messages ("
              + rejected.size()
              + (rejected.size() == limit ? ", limit reached)" : ")"));
      if (!rejTable.isEmpty()) {
        rejTable.lines("  ").forEach(out::println);
      }
    }
    return Conveyor.EXIT_OK;
  }

  private static Map<String, Object> dead(DeadItem d) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("kind", "dead");
    m.put("task_id", d.taskId());
    m.put("pipeline", d.pipeline());
    m.put("part", d.part());
    m.put("step", d.step());
    m.put("attempts", d.attempts());
    m.put("error", d.error());
    m.put("payload", parse(d.payload()));
    m.put("failed_at", d.failedAt().toString());
    return m;
  }

  private static Map<String, Object> rejected(RejectedMessage r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("kind", "rejected");
    m.put("id", r.id());
    m.put("stream_id", r.streamId());
    m.put("reason", r.reason());
    m.put("detail", r.detail());
    m.put("fields", parse(r.fields()));
    m.put("received_at", r.receivedAt().toString());
    return m;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> fields(RejectedMessage r) {
    Object f = parse(r.fields());
    return f instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
  }

  private static Object parse(String json) {
    if (json == null) {
      return null;
    }
    try {
      return JSON.readValue(json, Object.class);
    } catch (JsonProcessingException e) {
      return json;
    }
  }

  private static String shorten(String s) {
    if (s == null) {
      return null;
    }
    String one = s.strip().replaceAll("\\s*\\R\\s*", " ");
    return one.length() <= MAX_ERROR ? one : one.substring(0, MAX_ERROR - 3) + "...";
  }
}
