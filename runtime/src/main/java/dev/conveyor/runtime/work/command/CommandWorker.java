package dev.conveyor.runtime.work.command;

import dev.conveyor.common.config.Durations;
import dev.conveyor.runtime.work.ItemResult;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * One worker of a command step: the supervisor of one {@link WorkerProcess} at a time. It sends the
 * item in flight and waits for its answer within the step's timeout; it kills the process when it
 * times out or breaks the protocol, restarts it after a backoff when it died or was killed, and
 * closes it with the step. What its threads share is in {@link WorkerState}; what a reply means is
 * a {@link Verdict}. Used by one chunk of items at a time (the step checks workers out
 * exclusively); only closing and the readers of its state run alongside.
 *
 * <p>Its events: {@code worker_stderr} (INFO, one per stderr line, logged on the process's thread
 * {@code cmd-<step>-<n>-stderr}), {@code worker_restarted} (INFO), {@code
 * worker_unsolicited_output}, {@code worker_killed}, {@code worker_exited} and {@code
 * worker_start_failed} (WARN).
 */
final class CommandWorker {
  private static final Logger log = LoggerFactory.getLogger(CommandWorker.class);

  /** How long a process whose stdout ended may take to exit before it is killed. */
  private static final Duration EXIT_WAIT = Duration.ofSeconds(2);

  private final String step;
  private final int index;
  private final WorkerProcess.Command command;
  private final Duration timeout;
  private final Tuning tuning;
  private final WorkerState state;
  private final List<Long> pids = new CopyOnWriteArrayList<>();

  /** The last process that got a request; only the worker's holder uses it. */
  private WorkerProcess warmedUp;

  /** What an exit during start-up looked like. */
  record EarlyExit(int code, Optional<String> lastStderrLine) {}

  CommandWorker(
      String step, int index, WorkerProcess.Command command, Duration timeout, Tuning tuning) {
    this.step = step;
    this.index = index;
    this.command = command;
    this.timeout = timeout;
    this.tuning = tuning;
    this.state = new WorkerState(step, tuning);
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
    state.launch(this::launch);
  }

  /** Waits until {@code deadline} (a {@link System#nanoTime()}) for the first process to exit. */
  Optional<EarlyExit> exitedBefore(long deadline) throws InterruptedException {
    WorkerProcess p = state.current();
    if (p == null || !p.exitsBy(deadline)) {
      return Optional.empty();
    }
    p.drainStderr();
    return Optional.of(new EarlyExit(p.exitValue(), p.lastStderrLine()));
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
    WorkerProcess p;
    try {
      p = running();
    } catch (Down d) {
      return new ItemResult.Failed(d.getMessage());
    }
    discardUnsolicitedLines(p);
    // why: a new process answers its first request only once it has started (imports, models)
    boolean first = warmedUp != p;
    p.send(request);
    Reply reply;
    try {
      reply = p.nextReply(first ? timeout.plus(tuning.startAllowance()) : timeout);
    } catch (InterruptedException e) {
      stop(p, "interrupted while waiting for an answer", false);
      throw e;
    }
    warmedUp = p;
    if (reply == null) {
      String error =
          "timeout after "
              + Durations.format(timeout)
              + (first
                  ? " (plus " + Durations.format(tuning.startAllowance()) + " for a new worker)"
                  : "");
      stop(p, error, true);
      return new ItemResult.Failed(error);
    }
    return switch (Verdict.of(reply, index)) {
      case Verdict.Answered answered -> {
        state.answered();
        yield answered.result();
      }
      case Verdict.Broken broken -> {
        stop(p, broken.reason(), true);
        yield new ItemResult.Failed(broken.error());
      }
      case Verdict.Ended ended -> exited(p);
    };
  }

  /**
   * How long until this worker can take an item: zero when its process runs or may be restarted
   * now, the time left before its restart otherwise.
   */
  Duration downFor() {
    return state.downFor();
  }

  /** Why the worker is down, e.g. {@code exited with code 3}. */
  String trouble() {
    return state.trouble();
  }

  /**
   * First half of closing: refuses new processes and closes the stdin of the running one, so that a
   * well-behaved program finishes and exits.
   */
  void beginClose() {
    WorkerProcess p = state.close();
    if (p != null) {
      p.closeStdin();
    }
  }

  /**
   * Second half of closing: waits until {@code deadline} for the process to exit, kills it (and its
   * descendants) if it has not, and joins its threads.
   *
   * @return whether the process had to be killed
   */
  boolean finishClose(long deadline) {
    WorkerProcess p = state.current();
    if (p == null) {
      return false;
    }
    boolean killed;
    try {
      killed = !p.exitsBy(deadline);
    } catch (InterruptedException e) {
      killed = true;
      Thread.currentThread().interrupt();
    }
    p.kill();
    retire(p);
    return killed;
  }

  /** stdout ended: the process exited (the item fails with its code) or must be killed. */
  private ItemResult exited(WorkerProcess p) throws InterruptedException {
    boolean gone = p.exitsBy(System.nanoTime() + EXIT_WAIT.toNanos());
    state.requireOpen();
    if (!gone) {
      stop(p, "closed its stdout", true);
      return new ItemResult.Failed("worker " + index + " closed its stdout without exiting");
    }
    p.drainStderr();
    int code = p.exitValue();
    String error =
        "worker "
            + index
            + " exited with code "
            + code
            + p.lastStderrLine().map(l -> "; last stderr line: " + l).orElse("");
    died(p, code);
    return new ItemResult.Failed(error);
  }

  /** The running process, restarted first if it is gone and its backoff allows. */
  private WorkerProcess running() throws InterruptedException, Down {
    WorkerProcess p = state.currentIfOpen();
    if (p != null && p.isAlive()) {
      return p;
    }
    if (p != null) {
      // why: it exited between items; that costs it a backoff, not an item
      died(p, p.exitValue());
    }
    WorkerState.Restart restart = state.restart();
    long wait = restart.inNanos();
    if (wait > tuning.maxRestartWait().toNanos()) {
      throw new Down(
          "worker "
              + index
              + " is down ("
              + restart.trouble()
              + "); restarting in "
              + Durations.format(roundUpToMillis(wait)));
    }
    if (wait > 0) {
      TimeUnit.NANOSECONDS.sleep(wait);
    }
    try {
      p = state.launch(this::launch);
    } catch (IOException e) {
      Duration delay = state.failed("could not start: " + e.getMessage(), true);
      event(Level.WARN, "worker_start_failed")
          .addKeyValue("error", e.getMessage())
          .addKeyValue("restart_in", delay)
          .log();
      throw new Down("worker " + index + " could not be restarted: " + e.getMessage());
    }
    event(Level.INFO, "worker_restarted").addKeyValue("pid", p.pid()).log();
    return p;
  }

  private WorkerProcess launch() throws IOException {
    WorkerProcess p =
        WorkerProcess.start(command, "cmd-" + step + "-" + index + "-", this::logStderr);
    pids.add(p.pid());
    return p;
  }

  private void logStderr(String line) {
    event(Level.INFO, "worker_stderr").addKeyValue("line", line).log();
  }

  /** Lines that arrived before a request answer none; they are logged and dropped. */
  private void discardUnsolicitedLines(WorkerProcess p) {
    for (var line = p.takeWaitingLine(); line.isPresent(); line = p.takeWaitingLine()) {
      event(Level.WARN, "worker_unsolicited_output").addKeyValue("line", line.get()).log();
    }
  }

  private void died(WorkerProcess p, int code) {
    retire(p);
    Duration delay = state.failed("exited with code " + code, true);
    event(Level.WARN, "worker_exited")
        .addKeyValue("exit_code", code)
        .addKeyValue("restart_in", delay)
        .log();
  }

  /** Kills the process and its descendants; with {@code withBackoff}, its restart waits. */
  private void stop(WorkerProcess p, String reason, boolean withBackoff) {
    p.kill();
    retire(p);
    Duration delay = state.failed(reason, withBackoff);
    event(Level.WARN, "worker_killed")
        .addKeyValue("pid", p.pid())
        .addKeyValue("reason", reason)
        .addKeyValue("restart_in", delay)
        .log();
  }

  /** Lets go of a process that has exited or been killed: its threads end, it is not current. */
  private void retire(WorkerProcess p) {
    p.release();
    state.vacate(p);
  }

  /** An event of this worker: {@code event=... step=... worker=...}, then the caller's pairs. */
  private LoggingEventBuilder event(Level level, String event) {
    return log.atLevel(level)
        .addKeyValue("event", event)
        .addKeyValue("step", step)
        .addKeyValue("worker", index);
  }

  private static Duration roundUpToMillis(long nanos) {
    return Duration.ofMillis(TimeUnit.NANOSECONDS.toMillis(nanos + 999_999));
  }

  /** Why a worker cannot take an item now. */
  private static final class Down extends Exception {
    private static final long serialVersionUID = 1L;

    Down(String message) {
      super(message, null, false, false);
    }
  }
}
