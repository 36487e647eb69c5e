package dev.conveyor.runtime.work.command;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * One operating-system process of a command worker and its pipes: started without a shell, fed
 * through stdin, read through stdout, its stderr passed on line by line, killed with its
 * descendants. It knows nothing of requests and answers: which line answers which item, and what a
 * line means, is {@link CommandWorker}'s business.
 *
 * <p>Three daemon threads serve it: {@code <name>-stdin} writes what {@link #send} queues, {@code
 * <name>-stdout} hands over each stdout line as a {@link Reply} (at most {@link #MAX_LINE_BYTES}
 * bytes), {@code <name>-stderr} hands each stderr line (a longer one than 8 KiB in several pieces)
 * to the listener given at start. {@link #release()} ends them.
 */
final class WorkerProcess {
  /** The longest stdout line; a longer one is a {@link Reply.Overflow}. */
  static final int MAX_LINE_BYTES = 64 << 20;

  private static final int MAX_STDERR_PIECE_BYTES = 8 << 10;
  private static final Duration KILL_WAIT = Duration.ofSeconds(2);
  private static final Duration JOIN_WAIT = Duration.ofSeconds(2);
  private static final byte[] CLOSE = new byte[0];

  private final Process process;
  private final Consumer<String> stderrListener;
  private final BlockingQueue<byte[]> toStdin = new LinkedBlockingQueue<>();
  private final BlockingQueue<Reply> fromStdout = new LinkedBlockingQueue<>();
  private Thread stdin;
  private Thread stdout;
  private Thread stderr;
  private volatile String lastStderrLine;
  private volatile List<ProcessHandle> descendants = List.of();

  private WorkerProcess(Process process, Consumer<String> stderrListener) {
    this.process = process;
    this.stderrListener = stderrListener;
  }

  /**
   * What to start: the program and its arguments (no shell), the working directory, the variables
   * to add to the environment, and the step's resources (name → absolute file), handed over as
   * {@code CONVEYOR_RESOURCES} with their size when each process starts.
   */
  record Command(
      List<String> argv,
      Path directory,
      Map<String, String> environment,
      Map<String, Path> resources) {
    Command {
      argv = List.copyOf(argv);
      environment = Map.copyOf(environment);
      resources = Map.copyOf(resources);
    }

    Command(List<String> argv, Path directory, Map<String, String> environment) {
      this(argv, directory, environment, Map.of());
    }
  }

  /**
   * Starts {@code command} with the environment of this JVM minus every {@code CONVEYOR_*}
   * variable, plus {@code PYTHONUNBUFFERED=1} unless set, plus the command's own variables.
   *
   * @param threads the prefix of the three threads' names, e.g. {@code cmd-ner.person-0-}
   * @param stderrListener gets each stderr line, on the stderr thread
   * @throws IOException if the operating system cannot start the program
   */
  static WorkerProcess start(Command command, String threads, Consumer<String> stderrListener)
      throws IOException {
    ProcessBuilder builder =
        new ProcessBuilder(command.argv()).directory(command.directory().toFile());
    Map<String, String> env = builder.environment();
    // why: the daemon's settings (database and Redis passwords among them) are not the step's
    env.keySet().removeIf(name -> name.startsWith("CONVEYOR_"));
    // why: Python buffers a piped stdout in blocks; an unflushed answer would look like a timeout
    env.putIfAbsent("PYTHONUNBUFFERED", "1");
    env.putAll(command.environment());
    if (!command.resources().isEmpty()) {
      // why: sized now, so that a file renamed over the old one reaches the next process whole
      env.put("CONVEYOR_RESOURCES", Protocol.resources(command.resources()));
    }
    WorkerProcess p = new WorkerProcess(builder.start(), stderrListener);
    p.stdin = Thread.ofPlatform().name(threads + "stdin").daemon().start(p::writeStdin);
    p.stdout = Thread.ofPlatform().name(threads + "stdout").daemon().start(p::readStdout);
    p.stderr = Thread.ofPlatform().name(threads + "stderr").daemon().start(p::readStderr);
    return p;
  }

  long pid() {
    return process.pid();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** The exit code; only once the process has exited. */
  int exitValue() {
    return process.exitValue();
  }

  /** Waits until {@code deadline} (a {@link System#nanoTime()}) for the process to exit. */
  boolean exitsBy(long deadline) throws InterruptedException {
    return process.waitFor(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
  }

  /** Queues {@code bytes} for stdin; forgets the stderr line of before. */
  void send(byte[] bytes) {
    // why: an error message should quote what the program said about this item, not before
    lastStderrLine = null;
    toStdin.add(bytes);
  }

  /** The next thing stdout hands over, or null if none comes within {@code wait}. */
  Reply nextReply(Duration wait) throws InterruptedException {
    return fromStdout.poll(wait.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** A stdout line already waiting to be taken, taken; empty if none (or no line) is waiting. */
  Optional<String> takeWaitingLine() {
    if (fromStdout.peek() instanceof Reply.Line line) {
      fromStdout.poll();
      return Optional.of(line.text());
    }
    return Optional.empty();
  }

  /** The last non-blank stderr line since the last {@link #send} (or since the start). */
  Optional<String> lastStderrLine() {
    return Optional.ofNullable(lastStderrLine);
  }

  /** Waits a little for the stderr thread to pass on what is left: for an exited process. */
  void drainStderr() {
    join(stderr, System.nanoTime() + JOIN_WAIT.toNanos());
  }

  /**
   * Closes stdin once what is queued is written, so that a well-behaved program finishes and exits;
   * remembers the descendants meanwhile, as once the process is gone they cannot be found.
   */
  void closeStdin() {
    descendants = process.descendants().toList();
    toStdin.add(CLOSE);
  }

  /** Kills the process and every descendant it has, or had when {@link #closeStdin} looked. */
  void kill() {
    List<ProcessHandle> family =
        Stream.concat(descendants.stream(), process.descendants()).distinct().toList();
    process.destroyForcibly();
    family.forEach(ProcessHandle::destroyForcibly);
    try {
      process.waitFor(KILL_WAIT.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Lets go of an exited or killed process: waits a little for its three threads to end. */
  void release() {
    toStdin.add(CLOSE);
    long deadline = System.nanoTime() + JOIN_WAIT.toNanos();
    join(stdin, deadline);
    join(stdout, deadline);
    join(stderr, deadline);
  }

  private static void join(Thread thread, long deadline) {
    long left = deadline - System.nanoTime();
    try {
      if (left > 0) {
        thread.join(Duration.ofNanos(left));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void writeStdin() {
    try (OutputStream out = process.getOutputStream()) {
      for (byte[] bytes = toStdin.take(); bytes != CLOSE; bytes = toStdin.take()) {
        out.write(bytes);
        out.flush();
      }
    } catch (IOException e) {
      // why: the process is gone or closed its stdin; what became of it shows on its stdout
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void readStdout() {
    try (InputStream in = process.getInputStream()) {
      LineReader lines = new LineReader(in, MAX_LINE_BYTES);
      for (String line = lines.next(); line != null; line = lines.next()) {
        if (lines.cut()) {
          fromStdout.add(new Reply.Overflow());
          return;
        }
        fromStdout.add(new Reply.Line(line, !lines.malformed()));
      }
    } catch (IOException e) {
      // why: the stream breaks only when the process is gone: that is the end of it
    } finally {
      fromStdout.add(new Reply.End());
    }
  }

  private void readStderr() {
    try (InputStream in = process.getErrorStream()) {
      LineReader lines = new LineReader(in, MAX_STDERR_PIECE_BYTES);
      for (String line = lines.next(); line != null; line = lines.next()) {
        if (!line.isBlank()) {
          lastStderrLine = line;
        }
        stderrListener.accept(line);
      }
    } catch (IOException e) {
      // why: the stream breaks only when the process is gone: nothing more can come from it
    }
  }
}
