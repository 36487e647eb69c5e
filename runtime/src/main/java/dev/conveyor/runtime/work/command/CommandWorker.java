package dev.conveyor.runtime.work.command;

import dev.conveyor.common.config.Durations;
import dev.conveyor.runtime.work.ItemResult;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One worker of a command step: one process at a time, restarted when it dies, times out or breaks
 * the protocol. Used by one chunk of items at a time (the step checks workers out exclusively);
 * only {@link #close} may run alongside.
 *
 * <p>Each process has three daemon threads: {@code cmd-<step>-<n>-stdin} writes requests, {@code
 * cmd-<step>-<n>-stdout} reads answers, {@code cmd-<step>-<n>-stderr} logs each stderr line as one
 * INFO event {@code worker_stderr} (a line longer than 8 KiB comes as several events).
 */
final class CommandWorker {
  private static final Logger log = LoggerFactory.getLogger(CommandWorker.class);

  /** The longest answer line; a longer one is a protocol error. */
  static final int MAX_ANSWER_BYTES = 64 << 20;

  private static final int MAX_STDERR_PIECE_BYTES = 8 << 10;
  private static final Duration EXIT_WAIT = Duration.ofSeconds(2);
  private static final Duration JOIN_WAIT = Duration.ofSeconds(2);
  private static final Duration FOREVER = Duration.ofSeconds(Long.MAX_VALUE, 999_999_999);

  private final String step;
  private final int index;
  private final List<String> command;
  private final Path directory;
  private final Map<String, String> environment;
  private final Duration timeout;
  private final Tuning tuning;
  private final List<Long> pids = new CopyOnWriteArrayList<>();

  private final ReentrantLock lock = new ReentrantLock();
  // guarded by lock
  private Running current;
  private boolean closed;
  private Duration nextBackoff;
  private long restartAt = System.nanoTime();
  private String trouble = "not started";

  /** What an exit during start-up looked like. */
  record EarlyExit(int code, Optional<String> lastStderrLine) {}

  CommandWorker(
      String step,
      int index,
      List<String> command,
      Path directory,
      Map<String, String> environment,
      Duration timeout,
      Tuning tuning) {
    this.step = step;
    this.index = index;
    this.command = List.copyOf(command);
    this.directory = directory;
    this.environment = Map.copyOf(environment);
    this.timeout = timeout;
    this.tuning = tuning;
    this.nextBackoff = tuning.firstBackoff();
  }

  int index() {
    return index;
  }

  /** Every process this worker has started, oldest first. */
  List<Long> pids() {
    return List.copyOf(pids);
  }

  /** Starts the first process. */
  void start() throws IOException {
    lock.lock();
    try {
      requireOpen();
      current = launch();
    } finally {
      lock.unlock();
    }
  }

  /** Waits until {@code deadline} (a {@link System#nanoTime()}) for the first process to exit. */
  Optional<EarlyExit> exitedBefore(long deadline) throws InterruptedException {
    Running r = currentProcess();
    if (r == null || !r.process.waitFor(deadline - System.nanoTime(), TimeUnit.NANOSECONDS)) {
      return Optional.empty();
    }
    r.join(r.stderr, System.nanoTime() + JOIN_WAIT.toNanos());
    return Optional.of(new EarlyExit(r.process.exitValue(), r.lastStderrLine()));
  }

  /**
   * Sends one request and waits for its answer. Failures of the item or the process are a {@link
   * ItemResult.Failed}; the process is restarted before the next request when needed.
   *
   * @throws InterruptedException if interrupted (the process is then stopped, as its next answer
   *     would be taken for the next request's)
   * @throws CommandUnavailableException if the step was closed meanwhile
   */
  ItemResult handle(byte[] request) throws InterruptedException {
    Running r;
    try {
      r = running();
    } catch (Down d) {
      return new ItemResult.Failed(d.getMessage());
    }
    r.discardUnsolicitedLines();
    // why: a new process answers its first request only once it has started (imports, models)
    boolean first = !r.answered;
    Duration wait = first ? timeout.plus(tuning.startAllowance()) : timeout;
    r.send(request);
    Reply reply;
    try {
      reply = r.replies.poll(wait.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      stop(r, "interrupted while waiting for an answer", false);
      throw e;
    }
    r.answered = true;
    return switch (reply) {
      case null -> {
        String error =
            "timeout after "
                + Durations.format(timeout)
                + (first
                    ? " (plus " + Durations.format(tuning.startAllowance()) + " for a new worker)"
                    : "");
        stop(r, error, true);
        yield new ItemResult.Failed(error);
      }
      case Reply.Line line when !line.utf8() -> {
        // why: the line is in step with the requests; only its bytes are wrong, so the item fails
        // rather than be delivered with replacement characters, and the worker goes on
        answeredWell();
        yield new ItemResult.Failed("worker " + index + " answered a line that is not UTF-8");
      }
      case Reply.Line line -> answered(r, line.text());
      case Reply.Overflow overflow -> {
        stop(r, "answer longer than " + (MAX_ANSWER_BYTES >> 20) + " MiB", true);
        yield new ItemResult.Failed(
            "worker "
                + index
                + " answered a line longer than "
                + (MAX_ANSWER_BYTES >> 20)
                + " MiB which is not a protocol line");
      }
      case Reply.End end -> exited(r);
    };
  }

  /**
   * How long until this worker can take an item: zero when its process runs or may be restarted
   * now, the time left before its restart otherwise.
   */
  Duration downFor() {
    lock.lock();
    try {
      if (closed) {
        return FOREVER;
      }
      if (current != null) {
        return Duration.ZERO;
      }
      return Duration.ofNanos(Math.max(0, restartAt - System.nanoTime()));
    } finally {
      lock.unlock();
    }
  }

  /** Why the worker is down, e.g. {@code exited with code 3}. */
  String trouble() {
    lock.lock();
    try {
      return trouble;
    } finally {
      lock.unlock();
    }
  }

  /**
   * First half of closing: refuses new processes and closes the stdin of the running one, so that a
   * well-behaved program finishes and exits.
   */
  void beginClose() {
    Running r;
    lock.lock();
    try {
      closed = true;
      r = current;
    } finally {
      lock.unlock();
    }
    if (r != null) {
      r.rememberDescendants();
      r.requests.add(Running.CLOSE);
    }
  }

  /**
   * Second half of closing: waits until {@code deadline} for the process to exit, kills it (and its
   * descendants) if it has not, and joins its threads.
   *
   * @return whether the process had to be killed
   */
  boolean finishClose(long deadline) {
    Running r = currentProcess();
    if (r == null) {
      return false;
    }
    boolean killed = false;
    try {
      if (!r.process.waitFor(deadline - System.nanoTime(), TimeUnit.NANOSECONDS)) {
        killed = true;
      }
    } catch (InterruptedException e) {
      killed = true;
      Thread.currentThread().interrupt();
    }
    r.destroyTree();
    retire(r);
    return killed;
  }

  private ItemResult answered(Running r, String line) {
    return switch (Protocol.answer(line)) {
      case Protocol.Answer.Ok ok -> {
        answeredWell();
        yield new ItemResult.Output(ok.data());
      }
      case Protocol.Answer.Error error -> {
        answeredWell();
        yield new ItemResult.Failed(error.message());
      }
      case Protocol.Answer.Invalid invalid -> {
        stop(r, "protocol error", true);
        yield new ItemResult.Failed("worker " + index + " " + invalid.problem());
      }
    };
  }

  private ItemResult exited(Running r) throws InterruptedException {
    Integer code =
        r.process.waitFor(EXIT_WAIT.toNanos(), TimeUnit.NANOSECONDS) ? r.process.exitValue() : null;
    lock.lock();
    try {
      requireOpen();
    } finally {
      lock.unlock();
    }
    if (code == null) {
      stop(r, "closed its stdout", true);
      return new ItemResult.Failed("worker " + index + " closed its stdout without exiting");
    }
    r.join(r.stderr, System.nanoTime() + JOIN_WAIT.toNanos());
    String error =
        "worker "
            + index
            + " exited with code "
            + code
            + r.lastStderrLine().map(l -> "; last stderr line: " + l).orElse("");
    died(r, code);
    return new ItemResult.Failed(error);
  }

  /** The running process, restarted first if it is gone and its backoff allows. */
  private Running running() throws InterruptedException, Down {
    Running r;
    lock.lock();
    try {
      requireOpen();
      r = current;
    } finally {
      lock.unlock();
    }
    if (r != null && r.process.isAlive()) {
      return r;
    }
    if (r != null) {
      // why: it exited between items; that costs it a backoff, not an item
      died(r, r.process.exitValue());
    }
    long wait;
    lock.lock();
    try {
      requireOpen();
      wait = restartAt - System.nanoTime();
      if (wait > tuning.maxRestartWait().toNanos()) {
        throw new Down(
            "worker "
                + index
                + " is down ("
                + trouble
                + "); restarting in "
                + Durations.format(roundUpToMillis(wait)));
      }
    } finally {
      lock.unlock();
    }
    if (wait > 0) {
      TimeUnit.NANOSECONDS.sleep(wait);
    }
    lock.lock();
    try {
      requireOpen();
      try {
        current = launch();
      } catch (IOException e) {
        trouble = "could not start: " + e.getMessage();
        Duration delay = scheduleRestart();
        log.atWarn()
            .addKeyValue("event", "worker_start_failed")
            .addKeyValue("step", step)
            .addKeyValue("worker", index)
            .addKeyValue("error", e.getMessage())
            .addKeyValue("restart_in", delay)
            .log();
        throw new Down("worker " + index + " could not be restarted: " + e.getMessage());
      }
      log.atInfo()
          .addKeyValue("event", "worker_restarted")
          .addKeyValue("step", step)
          .addKeyValue("worker", index)
          .addKeyValue("pid", current.process.pid())
          .log();
      return current;
    } finally {
      lock.unlock();
    }
  }

  private Running launch() throws IOException {
    ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile());
    Map<String, String> env = builder.environment();
    // why: the daemon's settings (database and Redis passwords among them) are not the step's
    env.keySet().removeIf(name -> name.startsWith("CONVEYOR_"));
    // why: Python buffers a piped stdout in blocks; an unflushed answer would look like a timeout
    env.putIfAbsent("PYTHONUNBUFFERED", "1");
    env.putAll(environment);
    Process process = builder.start();
    pids.add(process.pid());
    Running r = new Running(process);
    r.startThreads();
    return r;
  }

  private void died(Running r, int code) {
    retire(r);
    Duration delay;
    lock.lock();
    try {
      trouble = "exited with code " + code;
      delay = scheduleRestart();
    } finally {
      lock.unlock();
    }
    log.atWarn()
        .addKeyValue("event", "worker_exited")
        .addKeyValue("step", step)
        .addKeyValue("worker", index)
        .addKeyValue("exit_code", code)
        .addKeyValue("restart_in", delay)
        .log();
  }

  /** Kills the process and its descendants; with {@code backoff}, its restart waits. */
  private void stop(Running r, String reason, boolean backoff) {
    r.destroyTree();
    retire(r);
    Duration delay = Duration.ZERO;
    lock.lock();
    try {
      trouble = reason;
      if (backoff) {
        delay = scheduleRestart();
      }
    } finally {
      lock.unlock();
    }
    log.atWarn()
        .addKeyValue("event", "worker_killed")
        .addKeyValue("step", step)
        .addKeyValue("worker", index)
        .addKeyValue("pid", r.process.pid())
        .addKeyValue("reason", reason)
        .addKeyValue("restart_in", delay)
        .log();
  }

  /** Lets go of a process that has exited or been killed: its threads end, it is not current. */
  private void retire(Running r) {
    r.requests.add(Running.CLOSE);
    long deadline = System.nanoTime() + JOIN_WAIT.toNanos();
    r.join(r.stdin, deadline);
    r.join(r.stdout, deadline);
    r.join(r.stderr, deadline);
    lock.lock();
    try {
      if (current == r) {
        current = null;
      }
    } finally {
      lock.unlock();
    }
  }

  private void answeredWell() {
    lock.lock();
    try {
      nextBackoff = tuning.firstBackoff();
    } finally {
      lock.unlock();
    }
  }

  /** Sets the restart time from the backoff and doubles the backoff; call with the lock held. */
  private Duration scheduleRestart() {
    Duration delay = nextBackoff;
    restartAt = System.nanoTime() + delay.toNanos();
    Duration doubled = delay.multipliedBy(2);
    nextBackoff = doubled.compareTo(tuning.maxBackoff()) > 0 ? tuning.maxBackoff() : doubled;
    return delay;
  }

  private Running currentProcess() {
    lock.lock();
    try {
      return current;
    } finally {
      lock.unlock();
    }
  }

  /** Call with the lock held. */
  private void requireOpen() {
    if (closed) {
      throw new CommandUnavailableException("step " + step + " is closed");
    }
  }

  private static Duration roundUpToMillis(long nanos) {
    return Duration.ofMillis(TimeUnit.NANOSECONDS.toMillis(nanos + 999_999));
  }

  /** What the stdout thread hands over: a line, a line too long to read, the end of the stream. */
  private sealed interface Reply {
    /**
     * @param utf8 false when the line was not valid UTF-8 (bad bytes replaced)
     */
    record Line(String text, boolean utf8) implements Reply {}

    record Overflow() implements Reply {}

    record End() implements Reply {}
  }

  /** Why a worker cannot take an item now. */
  private static final class Down extends Exception {
    private static final long serialVersionUID = 1L;

    Down(String message) {
      super(message, null, false, false);
    }
  }

  /** One process of this worker, with its three threads. */
  private final class Running {
    static final byte[] CLOSE = new byte[0];

    final Process process;
    final BlockingQueue<byte[]> requests = new LinkedBlockingQueue<>();
    final BlockingQueue<Reply> replies = new LinkedBlockingQueue<>();
    Thread stdin;
    Thread stdout;
    Thread stderr;

    /** Whether a request was answered (or not) yet; only the worker's holder uses it. */
    boolean answered;

    private volatile String lastStderrLine;
    private volatile List<ProcessHandle> descendants = List.of();

    Running(Process process) {
      this.process = process;
    }

    void startThreads() {
      String prefix = "cmd-" + step + "-" + index + "-";
      stdin = Thread.ofPlatform().name(prefix + "stdin").daemon().start(this::writeRequests);
      stdout = Thread.ofPlatform().name(prefix + "stdout").daemon().start(this::readAnswers);
      stderr = Thread.ofPlatform().name(prefix + "stderr").daemon().start(this::logStderr);
    }

    /** The last non-blank stderr line since the last request (or since the start). */
    Optional<String> lastStderrLine() {
      return Optional.ofNullable(lastStderrLine);
    }

    void send(byte[] request) {
      // why: an error message should quote what the program said about this item, not before
      lastStderrLine = null;
      requests.add(request);
    }

    /** Lines that arrived before a request answer none; they are logged and dropped. */
    void discardUnsolicitedLines() {
      while (replies.peek() instanceof Reply.Line line) {
        replies.poll();
        log.atWarn()
            .addKeyValue("event", "worker_unsolicited_output")
            .addKeyValue("step", step)
            .addKeyValue("worker", index)
            .addKeyValue("line", line.text())
            .log();
      }
    }

    /** Remembers the descendants while the process lives: once it is gone they cannot be found. */
    void rememberDescendants() {
      descendants = process.descendants().toList();
    }

    /** Kills the process and every descendant it has or had when last looked at. */
    void destroyTree() {
      List<ProcessHandle> family =
          Stream.concat(descendants.stream(), process.descendants()).distinct().toList();
      process.destroyForcibly();
      family.forEach(ProcessHandle::destroyForcibly);
      try {
        process.waitFor(EXIT_WAIT.toNanos(), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    void join(Thread thread, long deadline) {
      long left = deadline - System.nanoTime();
      try {
        if (left > 0) {
          thread.join(Duration.ofNanos(left));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    private void writeRequests() {
      try (OutputStream out = process.getOutputStream()) {
        for (byte[] request = requests.take(); request != CLOSE; request = requests.take()) {
          out.write(request);
          out.flush();
        }
      } catch (IOException e) {
        // why: the process is gone or closed its stdin; what became of it shows on its stdout
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    private void readAnswers() {
      try (InputStream in = process.getInputStream()) {
        LineReader lines = new LineReader(in, MAX_ANSWER_BYTES);
        for (String line = lines.next(); line != null; line = lines.next()) {
          if (lines.cut()) {
            replies.add(new Reply.Overflow());
            return;
          }
          replies.add(new Reply.Line(line, !lines.malformed()));
        }
      } catch (IOException e) {
        // why: the stream breaks only when the process is gone: that is the end of it
      } finally {
        replies.add(new Reply.End());
      }
    }

    private void logStderr() {
      try (InputStream in = process.getErrorStream()) {
        LineReader lines = new LineReader(in, MAX_STDERR_PIECE_BYTES);
        for (String line = lines.next(); line != null; line = lines.next()) {
          if (!line.isBlank()) {
            lastStderrLine = line;
          }
          log.atInfo()
              .addKeyValue("event", "worker_stderr")
              .addKeyValue("step", step)
              .addKeyValue("worker", index)
              .addKeyValue("line", line)
              .log();
        }
      } catch (IOException e) {
        // why: the stream breaks only when the process is gone: nothing more can come from it
      }
    }
  }
}
