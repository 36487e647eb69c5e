package dev.conveyor.runtime.work.command;

import static org.assertj.core.api.Assertions.fail;

import dev.conveyor.runtime.ledger.QueueItem;
import dev.conveyor.runtime.work.ItemResult;
import dev.conveyor.runtime.work.WorkItem;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/** Small Python programs for the command step tests, and what they need. */
final class TestPrograms {
  /**
   * Answers each item as its {@code do} says: {@code echo} (default), {@code fail} (ok: false),
   * {@code garbage} (a line that is not JSON), {@code sleep} ({@code seconds}; says so on stderr
   * first), {@code crash} (a Python exception), {@code exit} ({@code code}), {@code stderr} ({@code
   * lines}), {@code spawn} (starts a grandchild that sleeps and answers its pid), {@code bytes} (an
   * ok answer whose bytes are not UTF-8: an encoded lone surrogate). Echo answers carry n, the pid,
   * the worker, task_id and part.
   */
  static final String BEHAVE =
      """
      import json, os, subprocess, sys, time

      print("behave.py ready", file=sys.stderr, flush=True)
      for line in sys.stdin:
          request = json.loads(line)
          item = request["input"]
          do = item.get("do", "echo")
          data = {"n": item.get("n"), "pid": os.getpid(), "worker": os.environ["CONVEYOR_WORKER"],
                  "task_id": request["task_id"], "part": request["part"]}
          if do == "fail":
              print(json.dumps({"ok": False, "error": "refused %s" % item.get("n")}), flush=True)
              continue
          if do == "garbage":
              print("this is not json", flush=True)
              continue
          if do == "bytes":
              sys.stdout.buffer.write(b'{"ok": true, "data": {"t": "\\xed\\xa0\\x80"}}\\n')
              sys.stdout.buffer.flush()
              continue
          if do == "sleep":
              print("sleeping %s" % item.get("n"), file=sys.stderr, flush=True)
              time.sleep(item["seconds"])
          if do == "crash":
              1 / 0
          if do == "exit":
              sys.exit(item.get("code", 3))
          if do == "stderr":
              for text in item["lines"]:
                  print(text, file=sys.stderr, flush=True)
          if do == "spawn":
              child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
              data["child"] = child.pid
          print(json.dumps({"ok": True, "data": data}), flush=True)
      """;

  private TestPrograms() {}

  /** Fails, rather than skips, the tests when python3 is missing: they are required. */
  static void requirePython() {
    String path = System.getenv("PATH");
    boolean found =
        path != null
            && List.of(path.split(File.pathSeparator)).stream()
                .filter(entry -> !entry.isEmpty())
                .map(entry -> Path.of(entry, "python3"))
                .anyMatch(p -> Files.isRegularFile(p) && Files.isExecutable(p));
    if (!found) {
      fail(
          "python3 is required by the command step tests and was not found on PATH ("
              + path
              + "); install Python 3");
    }
  }

  /** Writes {@code text} to {@code dir/name}, creating directories. */
  static Path write(Path dir, String name, String text) {
    try {
      Path file = dir.resolve(name);
      Files.createDirectories(file.getParent());
      return Files.writeString(file, text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The example step that docs/pipelines.md shows. */
  static Path upperPy() {
    // why: tests run in the processor module's directory
    Path upper = Path.of("..", "deploy", "pipelines", "steps", "upper.py").toAbsolutePath();
    if (!Files.isRegularFile(upper)) {
      fail("missing " + upper.normalize());
    }
    return upper.normalize();
  }

  static WorkItem item(String taskId, int part, String input) {
    return new WorkItem(new QueueItem(taskId, part, "0-" + part), input);
  }

  static String output(ItemResult result) {
    if (result instanceof ItemResult.Output(String value, var _)) {
      return value;
    }
    throw new AssertionError("expected an output, got " + result);
  }

  static String error(ItemResult result) {
    if (result instanceof ItemResult.Failed(String error)) {
      return error;
    }
    throw new AssertionError("expected a failure, got " + result);
  }

  /** Live threads whose name starts with {@code cmd-<step>-}. */
  static Set<String> threadsOf(String step) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .map(Thread::getName)
        .filter(name -> name.startsWith("cmd-" + step + "-"))
        .collect(Collectors.toSet());
  }
}
