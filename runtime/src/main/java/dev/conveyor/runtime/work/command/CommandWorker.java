package dev.conveyor.runtime.work.command;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.common.config.Durations;
import dev.conveyor.runtime.work.ItemResult;
import dev.conveyor.runtime.work.WorkItem;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
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
 *
 * <p>Why over 400 lines: one worker speaking both protocols (one item per line, and batches with
 * their per-item answers); the two request paths share its process, timeouts and verdicts. To move
 * the batch exchange into a class of its own is the next split.
 */
final class CommandWorker {
  private static final Logger log = LoggerFactory.getLogger(CommandWorker.class);

  /** How long a process whose stdout ended may take to exit before it is killed. */
  private static final Duration EXIT_WAIT = Duration.ofSeconds(2);

  private final String step;
  private final int index;
  private final WorkerProcess.Command command;
  private final Duration timeout;
  private final int maxBatch;
  private final Tuning tuning;
  private final BatchObserver observer;
  private final WorkerState state;
  private final List<Long> pids = new CopyOnWriteArrayList<>();

  /** The last process that got a request; only the worker's holder uses it. */
  private WorkerProcess warmedUp;

  /** The process that said it takes batches, if the current one did; only the holder uses it. */
  private WorkerProcess batchesOf;

  /** The {@code seq} of the next item sent in a batch; only the holder uses it. */
  private long seq;

  /** What an exit during start-up looked like. */
  record EarlyExit(int code, Optional<String> lastStderrLine) {}

  CommandWorker(
      String step,
      int index,
      WorkerProcess.Command command,
      Duration timeout,
      int maxBatch,
      Tuning tuning,
      BatchObserver observer) {
    this.step = step;
    this.index = index;
    this.command = command;
    this.timeout = timeout;
    this.maxBatch = maxBatch;
    this.tuning = tuning;
    this.observer = observer;
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
   * Works through {@code batch[from, to)}, putting each item's result in {@code results}. A program
   * that said hello with {@code "batch": true} gets the items in requests of up to {@code
   * maxBatch}; any other gets one request per item. Failures of an item or of the process are a
   * {@link ItemResult.Failed} of the items concerned; the process is restarted before the next
   * request when needed.
   *
   * @throws InterruptedException if interrupted (the process is then stopped, as its next answer
   *     would be taken for the next request's)
   * @throws CommandUnavailableException if the step was closed meanwhile
   */
  void handle(List<WorkItem> batch, int from, int to, ItemResult[] results)
      throws InterruptedException {
    List<Integer> positions = new ArrayList<>(to - from);
    List<ObjectNode> requests = new ArrayList<>(to - from);
    for (int i = from; i < to; i++) {
      try {
        requests.add(Protocol.requestNode(batch.get(i)));
        positions.add(i);
      } catch (IllegalArgumentException e) {
        results[i] = new ItemResult.Failed(e.getMessage());
      }
    }
    int next = 0;
    while (next < requests.size()) {
      WorkerProcess p;
      try {
        p = running();
      } catch (Down d) {
        results[positions.get(next++)] = new ItemResult.Failed(d.getMessage());
        continue;
      }
      takeWaitingLines(p);
      if (batchesOf == p) {
        int end = Math.min(requests.size(), next + maxBatch);
        sendBatch(p, requests.subList(next, end), positions.subList(next, end), results);
        next = end;
      } else {
        results[positions.get(next)] = sendOne(p, requests.get(next));
        next++;
      }
    }
  }

  /** One request in the one-item form; its answer (a hello before it is taken note of). */
  private ItemResult sendOne(WorkerProcess p, ObjectNode request) throws InterruptedException {
    // why: a new process answers its first request only once it has started (imports, models)
    boolean first = warmedUp != p;
    p.send(Protocol.line(request));
    while (true) {
      Reply reply = nextReply(p, first);
      warmedUp = p;
      if (reply == null) {
        return timedOut(p, first);
      }
      switch (Verdict.of(reply, index)) {
        case Verdict.Greeted greeted -> greeted(p, greeted);
        case Verdict.Answered answered -> {
          state.answered();
          return answered.result();
        }
        case Verdict.Broken broken -> {
          stop(p, broken.reason(), true);
          return new ItemResult.Failed(broken.error());
        }
        case Verdict.Ended ended -> {
          return exited(p);
        }
      }
    }
  }

  /**
   * One request of the batch form: its n answers must all come within n x timeout, each with its
   * item's {@code seq}. An answer with an earlier {@code seq} (a stale line) is logged and dropped;
   * items an answer skips over fail; when the process breaks, times out or exits, the items it had
   * not answered fail and those it had keep their results.
   */
  private void sendBatch(
      WorkerProcess p, List<ObjectNode> requests, List<Integer> positions, ItemResult[] results)
      throws InterruptedException {
    long firstSeq = seq;
    for (ObjectNode request : requests) {
      request.put("seq", seq++);
    }
    boolean first = warmedUp != p;
    observer.requestSent(requests.size());
    p.send(Protocol.batch(requests));
    // why: as for a java step, a batch of n items may take n x timeout (plus the start allowance
    // for a new process), however its answers are spread: a batch function answers at the end
    long n = Math.min(requests.size(), Long.MAX_VALUE / 4 / timeout.toNanos());
    long due =
        System.nanoTime() + (first ? tuning.startAllowance().toNanos() : 0) + n * timeout.toNanos();
    int k = 0;
    while (k < requests.size()) {
      Reply reply = nextReply(p, Duration.ofNanos(Math.max(0, due - System.nanoTime())));
      warmedUp = p;
      if (reply == null) {
        ItemResult timeout = timedOut(p, first, requests.size());
        results[positions.get(k)] = timeout;
        unanswered(
            positions,
            k + 1,
            results,
            "its worker was killed after a timeout on item " + (firstSeq + k));
        return;
      }
      switch (Verdict.of(reply, index)) {
        case Verdict.Greeted greeted -> greeted(p, greeted);
        case Verdict.Broken broken -> {
          stop(p, broken.reason(), true);
          results[positions.get(k)] = new ItemResult.Failed(broken.error());
          unanswered(
              positions, k + 1, results, "its worker broke the protocol on item " + (firstSeq + k));
          return;
        }
        case Verdict.Ended ended -> {
          ItemResult exit = exited(p);
          for (int j = k; j < requests.size(); j++) {
            results[positions.get(j)] = exit;
          }
          return;
        }
        case Verdict.Answered answered -> {
          long expected = firstSeq + k;
          long got = answered.seq() == Verdict.IN_TURN ? expected : answered.seq();
          if (got == Protocol.NO_SEQ) {
            String error = "worker " + index + " answered an item of a batch without its \"seq\"";
            stop(p, "protocol error", true);
            results[positions.get(k)] = new ItemResult.Failed(error);
            unanswered(
                positions, k + 1, results, "its worker broke the protocol on item " + expected);
            return;
          }
          if (got < expected) {
            event(Level.WARN, "worker_unsolicited_output")
                .addKeyValue("seq", got)
                .addKeyValue("expected_seq", expected)
                .log();
            continue;
          }
          if (got >= firstSeq + requests.size()) {
            String error =
                "worker "
                    + index
                    + " answered seq "
                    + got
                    + " beyond its batch (seq "
                    + firstSeq
                    + " to "
                    + (firstSeq + requests.size() - 1)
                    + ")";
            stop(p, "protocol error", true);
            results[positions.get(k)] = new ItemResult.Failed(error);
            unanswered(
                positions, k + 1, results, "its worker broke the protocol on item " + expected);
            return;
          }
          for (; firstSeq + k < got; k++) {
            results[positions.get(k)] =
                new ItemResult.Failed(
                    "worker "
                        + index
                        + " gave no answer for seq "
                        + (firstSeq + k)
                        + " (its next answer was for seq "
                        + got
                        + ")");
          }
          state.answered();
          results[positions.get(k++)] = answered.result();
        }
      }
    }
  }

  private static void unanswered(
      List<Integer> positions, int from, ItemResult[] results, String why) {
    for (int j = from; j < positions.size(); j++) {
      results[positions.get(j)] = new ItemResult.Failed("not answered: " + why);
    }
  }

  private Reply nextReply(WorkerProcess p, boolean first) throws InterruptedException {
    return nextReply(p, first ? timeout.plus(tuning.startAllowance()) : timeout);
  }

  private Reply nextReply(WorkerProcess p, Duration wait) throws InterruptedException {
    try {
      return p.nextReply(wait);
    } catch (InterruptedException e) {
      stop(p, "interrupted while waiting for an answer", false);
      throw e;
    }
  }

  private ItemResult timedOut(WorkerProcess p, boolean first) {
    return timedOut(p, first, 1);
  }

  private ItemResult timedOut(WorkerProcess p, boolean first, int items) {
    String error =
        "timeout after "
            + Durations.format(timeout)
            + (items > 1 ? " per item (a batch of " + items + ")" : "")
            + (first
                ? " (plus " + Durations.format(tuning.startAllowance()) + " for a new worker)"
                : "");
    stop(p, error, true);
    return new ItemResult.Failed(error);
  }

  private void greeted(WorkerProcess p, Verdict.Greeted hello) {
    if (hello.batches()) {
      batchesOf = p;
    }
    event(Level.INFO, "worker_hello")
        .addKeyValue("pid", p.pid())
        .addKeyValue("batch", hello.batches())
        .log();
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

  /**
   * Lines that arrived before a request answer none: a hello is taken note of, others are logged
   * and dropped.
   */
  private void takeWaitingLines(WorkerProcess p) {
    for (var line = p.takeWaitingLine(); line.isPresent(); line = p.takeWaitingLine()) {
      if (Protocol.answer(line.get()) instanceof Protocol.Answer.Hello hello) {
        greeted(p, new Verdict.Greeted(hello.batches()));
      } else {
        event(Level.WARN, "worker_unsolicited_output").addKeyValue("line", line.get()).log();
      }
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
