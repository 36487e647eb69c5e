package dev.conveyor.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.runtime.ledger.Progress;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.UnifiedJedis;

/**
 * {@code conveyor publish FILE.jsonl [--stream KEY]}: appends each line {@code {"id": ...,
 * "pipeline": ..., "payload": {...}}} to the inbox as an entry with the plain fields of the inbound
 * message contract, pipelined in batches. A line that is not such an object is reported on stderr
 * with its number and not sent (exit {@value Conveyor#EXIT_NOT_FOUND}); whether the pipeline exists
 * is for the dispatcher to decide (it rejects what it cannot take). The count goes to stdout, a
 * progress bar to stderr only when it is a terminal.
 */
@Command(
    name = "publish",
    description = {
      "Publish messages to the inbox: one JSON object per line,"
          + " {\"id\": ..., \"pipeline\": ..., \"payload\": {...}} (id optional).",
    },
    exitCodeListHeading = Conveyor.EXIT_CODES,
    exitCodeList = {
      "0:every line was published",
      "1:some lines were bad (not published; each reported on stderr)",
      "2:usage or configuration error, or FILE cannot be read",
      "3:Redis unreachable or failing",
      Conveyor.INTERNAL_ERROR_LINE
    })
final class PublishCommand implements Callable<Integer> {
  static final int BATCH = 500;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final CliContext context;
  private final Supplier<InputStream> stdin;
  private final boolean terminal;

  @Mixin private CommandIo io;

  @Parameters(paramLabel = "FILE", description = "JSON lines to publish; - reads stdin")
  private String file;

  @Option(
      names = "--stream",
      paramLabel = "KEY",
      description = "the stream to append to (default: the namespace's inbox, <ns>:inbox)")
  private String stream;

  /**
   * @param terminal whether stderr is a terminal (then a progress bar is drawn on it)
   */
  PublishCommand(CliContext context, Supplier<InputStream> stdin, boolean terminal) {
    this.context = context;
    this.stdin = stdin;
    this.terminal = terminal;
  }

  @Override
  public Integer call() throws IOException {
    PrintWriter err = io.err();
    String target = stream != null ? stream : context.keys().inbox();
    long total = "-".equals(file) ? -1 : size(Path.of(file));
    UnifiedJedis redis = context.inboxRedis();
    Progress progress = new Progress(err, terminal, total);
    long published = 0;
    long bad = 0;
    long lineNo = 0;
    try (BufferedReader in = open()) {
      List<Map<String, String>> batch = new ArrayList<>(BATCH);
      String line;
      while ((line = in.readLine()) != null) {
        lineNo++;
        progress.read(line.length() + 1L);
        if (line.isBlank()) {
          continue;
        }
        Result r = parse(line);
        if (r.error().isPresent()) {
          bad++;
          progress.clear();
          io.problem("line " + lineNo + ": " + r.error().get());
          continue;
        }
        batch.add(r.fields());
        if (batch.size() == BATCH) {
          published += send(redis, target, batch);
          progress.show(published);
        }
      }
      published += send(redis, target, batch);
    }
    progress.clear();
    io.out().println("published " + published + ", skipped " + bad + " bad lines");
    return bad == 0 ? Conveyor.EXIT_OK : Conveyor.EXIT_NOT_FOUND;
  }

  private BufferedReader open() {
    if ("-".equals(file)) {
      return new BufferedReader(new InputStreamReader(stdin.get(), StandardCharsets.UTF_8));
    }
    try {
      return Files.newBufferedReader(Path.of(file), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw io.usageError("cannot read " + file + ": " + why(e));
    }
  }

  private long size(Path path) {
    try {
      return Files.size(path);
    } catch (IOException e) {
      throw io.usageError("cannot read " + file + ": " + why(e));
    }
  }

  private static String why(IOException e) {
    return e instanceof NoSuchFileException ? "no such file" : String.valueOf(e.getMessage());
  }

  private static long send(UnifiedJedis redis, String stream, List<Map<String, String>> batch) {
    if (batch.isEmpty()) {
      return 0;
    }
    try (AbstractPipeline p = redis.pipelined()) {
      batch.forEach(fields -> p.xadd(stream, StreamEntryID.NEW_ENTRY, fields));
      p.sync();
    }
    int n = batch.size();
    batch.clear();
    return n;
  }

  /** The entry's fields, or why the line is bad. */
  record Result(Map<String, String> fields, Optional<String> error) {
    static Result bad(String why) {
      return new Result(Map.of(), Optional.of(why));
    }
  }

  static Result parse(String line) {
    JsonNode node;
    try {
      node = JSON.readTree(line);
    } catch (JsonProcessingException e) {
      return Result.bad("not JSON: " + e.getOriginalMessage());
    }
    if (node == null || !node.isObject()) {
      return Result.bad("not a JSON object");
    }
    JsonNode pipeline = node.get("pipeline");
    if (pipeline == null || !pipeline.isTextual() || pipeline.asText().isEmpty()) {
      return Result.bad("no \"pipeline\" string");
    }
    JsonNode payload = node.get("payload");
    if (payload == null || !payload.isObject()) {
      return Result.bad("no \"payload\" object");
    }
    Map<String, String> fields = new LinkedHashMap<>();
    JsonNode id = node.get("id");
    if (id != null && !id.isNull()) {
      if (!id.isTextual() && !id.isIntegralNumber()) {
        return Result.bad("\"id\" must be a string");
      }
      fields.put("id", id.asText());
    }
    fields.put("pipeline", pipeline.asText());
    try {
      fields.put("payload", JSON.writeValueAsString(payload));
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
    return new Result(fields, Optional.empty());
  }

  /** A one-line progress bar on stderr, drawn only on a terminal, at most every 1% or 100 ms. */
  private static final class Progress {
    private static final int WIDTH = 30;
    private final PrintWriter err;
    private final boolean on;
    private final long total;
    private long readBytes;
    private long lastDraw;
    private boolean drawn;

    Progress(PrintWriter err, boolean on, long total) {
      this.err = err;
      this.on = on;
      this.total = total;
    }

    void read(long bytes) {
      readBytes += bytes;
    }

    void show(long published) {
      if (!on) {
        return;
      }
      long now = System.nanoTime();
      if (drawn && now - lastDraw < 100_000_000L) {
        return;
      }
      lastDraw = now;
      drawn = true;
      if (total > 0) {
        int filled = (int) Math.min(WIDTH, readBytes * WIDTH / total);
        err.print(
            "\r["
                + "#".repeat(filled)
                + " ".repeat(WIDTH - filled)
                + "] "
                + Math.min(100, readBytes * 100 / total)
                + "%  "
                + published
                + " published");
      } else {
        err.print("\r" + published + " published");
      }
      err.flush();
    }

    void clear() {
      if (drawn) {
        err.print("\r\033[K");
        drawn = false;
      }
    }
  }
}
