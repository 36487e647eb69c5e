package dev.conveyor.runtime.work.command;

import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.StepDef;
import dev.conveyor.runtime.pipeline.StepKind;
import dev.conveyor.runtime.work.ItemResult;
import dev.conveyor.runtime.work.StepWork;
import dev.conveyor.runtime.work.WorkItem;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@code command} step: an external program, in any language, run as {@code workers} long-lived
 * processes that answer JSON lines.
 *
 * <h2>Protocol</h2>
 *
 * The program is started without a shell, in the pipeline file's directory (so {@code
 * steps/person.py} resolves there), with the daemon's environment minus every {@code CONVEYOR_*}
 * variable, plus {@code CONVEYOR_STEP_OPTIONS} (the step's {@code options:} as a JSON object),
 * {@code CONVEYOR_STEP} (the step's name), {@code CONVEYOR_WORKER} (0, 1, ...) and, unless set,
 * {@code PYTHONUNBUFFERED=1}, and {@code CONVEYOR_RESOURCES} when the step names resources ({@code
 * {"<name>": {"path": "/abs/file", "size": n}}}, sized as each process starts: the files to
 * memory-map read-only). For each item it reads one line on stdin
 *
 * <pre>{"task_id": "doc-42", "part": 3, "input": {...}}</pre>
 *
 * ({@code part} is -1 for a task-scope item; the line is ASCII, other characters escaped) and
 * writes one line on stdout, UTF-8, ending in a newline, in request order:
 *
 * <pre>{"ok": true, "data": {...}}   or   {"ok": false, "error": "why"}</pre>
 *
 * {@code data} becomes the item's output; {@code ok: false} fails the item alone. stderr is for
 * logs: each line becomes one INFO event {@code worker_stderr step=... worker=N line="..."}, logged
 * in order by the worker's thread {@code cmd-<step>-<n>-stderr}. When its stdin closes the program
 * should exit.
 *
 * <h2>Batches</h2>
 *
 * A program whose first stdout line is {@code {"hello": {"batch": true}}} gets the items of its
 * chunk (up to the step's {@code batch}) as one line {@code {"batch": [{"seq": 40, "task_id": ...,
 * "part": ..., "input": ...}, ...]}} and answers one line per item, in order, each with its item's
 * {@code seq}: {@code {"seq": 40, "ok": true, "data": ...}}. The hello may come after the first
 * request was sent in the one-item form, which the program must then answer as such. An answer with
 * an earlier {@code seq} is logged and dropped; one with a later {@code seq} fails the items it
 * skips; a batch of n items may take n × {@code timeout}. When the process breaks the protocol,
 * times out or exits, the items it had answered keep their results and the rest fail.
 *
 * <h2>Failures</h2>
 *
 * An item fails, and the rest of its batch goes on, when: the program says so; it does not answer
 * within {@code timeout} ({@code timeout after 30s}: the process and its descendants are killed;
 * the first item of a new process may take 1 min longer, as it waits for the program to start); it
 * answers a line that is not a protocol line (the process is killed, as its stream may be out of
 * step); its process exits ({@code worker 0 exited with code 3}). A killed or exited worker is
 * restarted before its next item, after a backoff that starts at 100 ms, doubles with each death up
 * to 30 s, and is reset by an answer. An item waits at most 1 s for its worker's restart, else
 * fails at once; a batch that finds every worker further than that from a restart is not attempted
 * ({@link CommandUnavailableException}) and stays queued. A program that starts processes of its
 * own should have them end with it: the descendants of a worker are killed with it when Conveyor
 * kills it or closes the step, but those of a worker that crashed are beyond reach.
 *
 * <h2>Reload</h2>
 *
 * {@link #reloadIfChanged()} (called periodically by the processor) replaces the workers when a
 * file named in the command or a resource file changed on disk ({@link WatchedFiles}); {@link
 * #reload(String)} does it on demand. New processes start on the files as they are now; batches
 * that started before go on with the old ones, which are closed once those batches are done. A new
 * program that does not start leaves the old workers running.
 *
 * <h2>Use</h2>
 *
 * Built when the step is activated, from the step and the pipeline it belongs to, then started; a
 * program that cannot be started, or exits at once, makes {@link #start()} throw, so that the step
 * is DISABLED with the reason:
 *
 * <pre>{@code
 * CommandWork work = CommandWork.of(pipeline, step); // step.kind() == COMMAND
 * work.start();      // e.g. "command not found: pyhton3 (step ner.person)"
 * work.process(batch);                               // from the step's ticks
 * work.close();      // on complete or terminate; twice is harmless
 * }</pre>
 *
 * <p>{@link #process} is safe for concurrent calls (one per shard): a batch is split into as many
 * contiguous chunks as there are workers (fewer for a small batch), each chunk runs on a virtual
 * thread with a worker it has checked out alone, and a chunk waits when all workers are busy
 * ({@link WorkerPool}). Each worker ({@link CommandWorker}) supervises one process ({@link
 * WorkerProcess}) at a time.
 *
 * <p>Why over 400 lines: it owns a command step's whole life (start, batches, reload, close) over
 * one pool of workers, and grew with batches and reload this round; the reload check ({@link
 * WatchedFiles}) is already apart. To move the worker-set replacement out into a class of its own
 * is the next split.
 */
public final class CommandWork implements StepWork, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CommandWork.class);

  private final String step;
  private final List<String> command;
  private final Path directory;
  private final int workerCount;
  private final Duration timeout;
  private final int maxBatch;
  private final Tuning tuning;
  private final Map<String, String> environment;
  private final Map<String, Path> resources;
  private volatile BatchObserver observer = BatchObserver.NONE;
  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile WorkerPool pool;
  private final String pipelineName;
  private final String stepName;

  /** Serialises start, reloads and close; guards {@link #watched}. */
  private final Object reloads = new Object();

  private final WatchedFiles watched;

  /** Replaced pools still finishing their batches, and the threads that close them then. */
  private final Map<WorkerPool, Thread> retiring = new ConcurrentHashMap<>();

  /**
   * A command step as a pipeline file declares it: named {@code <pipeline>.<step>} in logs and
   * thread names, run in the directory of the pipeline file.
   *
   * @throws IllegalArgumentException if the step is not of kind {@code command}
   */
  public static CommandWork of(Pipeline pipeline, StepDef step) {
    if (step.kind() != StepKind.COMMAND) {
      throw new IllegalArgumentException("step '" + step.name() + "' is not of kind command");
    }
    return new CommandWork(
        pipeline.name() + "." + step.name(),
        step.command(),
        pipeline.source().toAbsolutePath().getParent(),
        step.workers(),
        step.timeout(),
        step.options(),
        step.batch(),
        Tuning.DEFAULTS,
        resourcesOf(pipeline, step));
  }

  private static Map<String, Path> resourcesOf(Pipeline pipeline, StepDef step) {
    Map<String, Path> files = new LinkedHashMap<>();
    for (String name : step.resources()) {
      files.put(name, pipeline.resources().get(name));
    }
    return files;
  }

  /**
   * @param step the step's name in logs, thread names and error messages
   * @param command the program and its arguments; a program with a slash is relative to {@code
   *     directory}, a bare name is looked up on {@code PATH}
   * @param directory the working directory: the directory of the pipeline file
   * @param workers how many processes to run
   * @param timeout the longest one item may take
   * @param options passed to the program as JSON in {@code CONVEYOR_STEP_OPTIONS}
   */
  public CommandWork(
      String step,
      List<String> command,
      Path directory,
      int workers,
      Duration timeout,
      Map<String, Object> options) {
    this(
        step,
        command,
        directory,
        workers,
        timeout,
        options,
        StepDef.DEFAULT_BATCH,
        Tuning.DEFAULTS,
        Map.of());
  }

  CommandWork(
      String step,
      List<String> command,
      Path directory,
      int workers,
      Duration timeout,
      Map<String, Object> options,
      Tuning tuning) {
    this(
        step,
        command,
        directory,
        workers,
        timeout,
        options,
        StepDef.DEFAULT_BATCH,
        tuning,
        Map.of());
  }

  CommandWork(
      String step,
      List<String> command,
      Path directory,
      int workers,
      Duration timeout,
      Map<String, Object> options,
      int maxBatch,
      Tuning tuning,
      Map<String, Path> resources) {
    this.step = Objects.requireNonNull(step, "step");
    this.command = List.copyOf(command);
    if (this.command.isEmpty()) {
      throw new IllegalArgumentException("step " + step + ": command is empty");
    }
    this.directory = directory.toAbsolutePath().normalize();
    if (workers < 1) {
      throw new IllegalArgumentException("step " + step + ": workers must be >= 1, was " + workers);
    }
    this.workerCount = workers;
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("step " + step + ": timeout must be > 0");
    }
    this.timeout = timeout;
    if (maxBatch < 1) {
      throw new IllegalArgumentException("step " + step + ": batch must be >= 1, was " + maxBatch);
    }
    this.maxBatch = maxBatch;
    this.tuning = Objects.requireNonNull(tuning, "tuning");
    this.resources = Map.copyOf(resources);
    var env = new LinkedHashMap<String, String>();
    env.put("CONVEYOR_STEP_OPTIONS", Protocol.options(options == null ? Map.of() : options));
    env.put("CONVEYOR_STEP", step);
    this.environment = env;
    // why: a step is named <pipeline>.<step> (neither name has a dot); tests use bare names
    int dot = step.indexOf('.');
    this.pipelineName = dot < 0 ? "" : step.substring(0, dot);
    this.stepName = step.substring(dot + 1);
    this.watched = WatchedFiles.of(this.command, this.directory, this.resources);
  }

  /** Who is told of each batch request sent (for metrics); set before {@link #start()}. */
  public void observeBatches(BatchObserver observer) {
    this.observer = Objects.requireNonNull(observer, "observer");
  }

  /**
   * Starts every worker and watches them briefly for an exit at once.
   *
   * @throws CommandUnavailableException saying what is missing or how the program exited (with its
   *     last stderr line); no process of the step is left running then
   * @throws IllegalStateException if started before or closed
   */
  public void start() {
    if (closed.get() || !started.compareAndSet(false, true)) {
      throw new IllegalStateException("step " + step + " was started or closed before");
    }
    synchronized (reloads) {
      // why: before the processes start, so that a change made meanwhile is seen by a next check
      watched.remember();
      try {
        // why: set before it starts, so that pids() names the processes of a failed start too
        pool = newPool();
        startPool(pool);
      } catch (CommandUnavailableException e) {
        closed.set(true);
        throw e;
      }
    }
    log.atInfo()
        .addKeyValue("event", "workers_started")
        .addKeyValue("step", step)
        .addKeyValue("workers", workerCount)
        .addKeyValue("command", String.join(" ", command))
        .addKeyValue("dir", directory)
        .addKeyValue("pids", pids())
        .log();
  }

  /**
   * Replaces the workers when a program or resource file changed on disk since the workers were
   * started (or a reload was last tried): see {@link #reload(String)}.
   *
   * @return whether the workers were replaced
   */
  public boolean reloadIfChanged() {
    synchronized (reloads) {
      if (closed.get() || pool == null) {
        return false;
      }
      Optional<String> reason = watched.changed();
      return reason.isPresent() && reload(reason.get());
    }
  }

  /**
   * Replaces the workers between batches: starts a new set of processes on the program and
   * resources as they are on disk now, sends every batch that starts from now on to them, and
   * closes the old processes once the batches they had in flight are done (in the background), so
   * that no item fails or runs twice because of it. Logs {@code step_reloaded} (INFO). When the new
   * processes cannot start (a syntax error, a missing file) they are dropped, the old ones go on,
   * and {@code step_reload_failed} (WARN) says why; the next change of a file tries again.
   *
   * @param reason for the log: {@code program_changed}, {@code resource_changed} or {@code
   *     requested}
   * @return whether the workers were replaced; false also when not started or closed
   */
  public boolean reload(String reason) {
    synchronized (reloads) {
      if (closed.get() || pool == null) {
        return false;
      }
      watched.remember();
      WorkerPool fresh;
      try {
        fresh = newPool();
        startPool(fresh);
      } catch (CommandUnavailableException e) {
        log.atWarn()
            .addKeyValue("event", "step_reload_failed")
            .addKeyValue("pipeline", pipelineName)
            .addKeyValue("step", stepName)
            .addKeyValue("reason", reason)
            .addKeyValue("error", e.getMessage())
            .log();
        return false;
      }
      WorkerPool old = pool;
      pool = fresh;
      old.retire();
      Thread closer =
          Thread.ofVirtual()
              .name("cmd-" + step + "-retire")
              .unstarted(() -> {
                try {
                  old.awaitIdle();
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
                old.close();
                retiring.remove(old);
              });
      // why: listed before it starts, so that its removal cannot come first and leave it listed
      retiring.put(old, closer);
      closer.start();
      log.atInfo()
          .addKeyValue("event", "step_reloaded")
          .addKeyValue("pipeline", pipelineName)
          .addKeyValue("step", stepName)
          .addKeyValue("reason", reason)
          .addKeyValue("workers", workerCount)
          .log();
      return true;
    }
  }

  /**
   * A new set of workers, not started.
   *
   * @throws CommandUnavailableException saying what is missing: the directory, a resource, the
   *     program
   */
  private WorkerPool newPool() {
    if (!Files.isDirectory(directory)) {
      throw unavailable("working directory missing: " + directory);
    }
    try {
      Protocol.resources(resources);
    } catch (IOException e) {
      throw unavailable(e.getMessage());
    }
    List<String> argv = new ArrayList<>(command);
    try {
      argv.set(0, Programs.resolve(command.getFirst(), directory, System.getenv("PATH")));
    } catch (IllegalArgumentException e) {
      throw unavailable(e.getMessage());
    }
    List<CommandWorker> all = new ArrayList<>(workerCount);
    for (int i = 0; i < workerCount; i++) {
      var env = new LinkedHashMap<>(environment);
      env.put("CONVEYOR_WORKER", Integer.toString(i));
      var process = new WorkerProcess.Command(argv, directory, env, resources);
      all.add(new CommandWorker(step, i, process, timeout, maxBatch, tuning, observer));
    }
    return new WorkerPool(step, all, tuning);
  }

  /**
   * Starts the workers and watches them for {@link Tuning#startGrace()}.
   *
   * @throws CommandUnavailableException saying how the program exited; none of the new processes is
   *     left running then
   */
  private void startPool(WorkerPool fresh) {
    try {
      Optional<CommandWorker.EarlyExit> exit = fresh.start();
      if (exit.isPresent()) {
        fresh.close();
        throw new CommandUnavailableException(
            "command exited on start with code "
                + exit.get().code()
                + " (step "
                + step
                + ")"
                + exit.get().lastStderrLine().map(line -> ": " + line).orElse(""));
      }
    } catch (IOException e) {
      fresh.close();
      throw unavailable("cannot start " + command.getFirst() + ": " + e.getMessage());
    } catch (InterruptedException e) {
      fresh.close();
      Thread.currentThread().interrupt();
      throw unavailable("interrupted while starting");
    }
  }

  /**
   * Runs the batch on the workers: one result per item, in order. A failing item fails alone.
   *
   * @throws CommandUnavailableException if the batch could not be attempted: every worker is down
   *     for a while, the step was closed, or the caller was interrupted (whose flag is set again)
   * @throws IllegalStateException if not started
   */
  @Override
  public List<ItemResult> process(List<WorkItem> batch) {
    if (!started.get()) {
      throw new IllegalStateException("step " + step + " is not started");
    }
    if (closed.get()) {
      throw new CommandUnavailableException("step " + step + " is closed");
    }
    if (batch.isEmpty()) {
      return List.of();
    }
    while (true) {
      WorkerPool p = pool;
      if (!p.enter()) {
        // why: a reload replaced it just now; the new pool is already in place
        continue;
      }
      try {
        return p.run(batch);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CommandUnavailableException("step " + step + ": interrupted");
      } finally {
        p.leave();
      }
    }
  }

  /** Process ids of every worker process started so far (for tests). */
  List<Long> pids() {
    WorkerPool p = pool;
    return p == null ? List.of() : p.pids();
  }

  /**
   * Closes every worker's stdin, gives them up to 5 s to exit, kills those left (with their
   * descendants) and joins their threads. A batch in progress ends with {@link
   * CommandUnavailableException}. Harmless when repeated.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    WorkerPool p;
    synchronized (reloads) {
      p = pool;
    }
    // why: batches still running on replaced workers end now too, as on the current ones
    retiring.keySet().forEach(WorkerPool::close);
    for (Thread t : retiring.values()) {
      try {
        t.join(tuning.closeWait().plusSeconds(1));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    if (p == null) {
      return;
    }
    int killed = p.close();
    log.atInfo()
        .addKeyValue("event", "workers_stopped")
        .addKeyValue("step", step)
        .addKeyValue("workers", p.size())
        .addKeyValue("killed", killed)
        .log();
  }

  private CommandUnavailableException unavailable(String what) {
    return new CommandUnavailableException(what + " (step " + step + ")");
  }
}
