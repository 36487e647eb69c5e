package dev.conveyor.runtime.work.command;

import dev.conveyor.common.config.Durations;
import dev.conveyor.runtime.work.ItemResult;
import dev.conveyor.runtime.work.WorkItem;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The workers of one command step and how a batch is spread over them: in as many contiguous chunks
 * as there are workers (fewer for a small batch), each chunk on a virtual thread {@code
 * cmd-<step>-chunk-<n>} with a worker it has checked out alone; a chunk waits while every worker is
 * busy. Safe for concurrent batches (one per shard).
 */
final class WorkerPool {
  private final String step;
  private final List<CommandWorker> workers;
  private final Tuning tuning;
  private final BlockingQueue<CommandWorker> idle = new LinkedBlockingQueue<>();

  /** Batches running on this pool; guarded by {@code this}. */
  private int inFlight;

  /** Whether a newer pool replaced this one; guarded by {@code this}. */
  private boolean retired;

  private final AtomicBoolean closed = new AtomicBoolean();

  WorkerPool(String step, List<CommandWorker> workers, Tuning tuning) {
    this.step = step;
    this.workers = List.copyOf(workers);
    this.tuning = tuning;
  }

  /**
   * Starts every worker's process and watches them for {@link Tuning#startGrace()}.
   *
   * @return how the first process that exited meanwhile did so
   * @throws IOException if a process cannot be started
   */
  Optional<CommandWorker.EarlyExit> start() throws IOException, InterruptedException {
    for (CommandWorker w : workers) {
      w.start();
    }
    long deadline = System.nanoTime() + tuning.startGrace().toNanos();
    for (CommandWorker w : workers) {
      Optional<CommandWorker.EarlyExit> exit = w.exitedBefore(deadline);
      if (exit.isPresent()) {
        return exit;
      }
    }
    idle.addAll(workers);
    return Optional.empty();
  }

  /**
   * One result per item, in order.
   *
   * @throws CommandUnavailableException if every worker is far from its next restart (the batch is
   *     not attempted) or the step was closed meanwhile
   */
  List<ItemResult> run(List<WorkItem> batch) throws InterruptedException {
    requireAWorker();
    ItemResult[] results = new ItemResult[batch.size()];
    int chunks = Math.min(workers.size(), batch.size());
    if (chunks == 1) {
      runChunk(batch, 0, batch.size(), results);
    } else {
      runChunks(batch, chunks, results);
    }
    return List.of(results);
  }

  /**
   * Counts a batch in, unless the pool was {@linkplain #retire() retired}: the caller then takes
   * the pool that replaced it. Each {@code true} must be followed by one {@link #leave()}.
   */
  synchronized boolean enter() {
    if (retired) {
      return false;
    }
    inFlight++;
    return true;
  }

  /** Counts a batch out. */
  synchronized void leave() {
    inFlight--;
    if (inFlight == 0) {
      notifyAll();
    }
  }

  /** Takes no more batches; those in flight go on. */
  synchronized void retire() {
    retired = true;
  }

  /**
   * Waits until the batches in flight have finished (a retired pool takes no new ones).
   *
   * @throws InterruptedException if interrupted meanwhile
   */
  synchronized void awaitIdle() throws InterruptedException {
    while (inFlight > 0) {
      wait();
    }
  }

  /** Process ids of every worker process started so far. */
  List<Long> pids() {
    return workers.stream().flatMap(w -> w.pids().stream()).toList();
  }

  int size() {
    return workers.size();
  }

  /**
   * Closes every worker's stdin, gives them {@link Tuning#closeWait()} to exit, kills those left
   * (with their descendants) and joins their threads. Harmless when repeated.
   *
   * @return how many had to be killed
   */
  int close() {
    if (closed.getAndSet(true)) {
      return 0;
    }
    workers.forEach(CommandWorker::beginClose);
    long deadline = System.nanoTime() + tuning.closeWait().toNanos();
    int killed = 0;
    for (CommandWorker w : workers) {
      if (w.finishClose(deadline)) {
        killed++;
      }
    }
    return killed;
  }

  private void runChunks(List<WorkItem> batch, int chunks, ItemResult[] results)
      throws InterruptedException {
    List<Future<Void>> futures = new ArrayList<>(chunks);
    try (ExecutorService chunkThreads =
        Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("cmd-" + step + "-chunk-", 0).factory())) {
      for (int c = 0; c < chunks; c++) {
        int from = (int) ((long) batch.size() * c / chunks);
        int to = (int) ((long) batch.size() * (c + 1) / chunks);
        futures.add(
            chunkThreads.submit(() -> {
              runChunk(batch, from, to, results);
              return null;
            }));
      }
    }
    // why: every chunk is done (the executor's close waited); the first failure speaks for all
    for (Future<Void> f : futures) {
      try {
        f.get();
      } catch (ExecutionException e) {
        switch (e.getCause()) {
          case InterruptedException cause -> throw cause;
          case RuntimeException cause -> throw cause;
          case Error cause -> throw cause;
          case Throwable cause -> throw new IllegalStateException(cause);
        }
      }
    }
  }

  private void runChunk(List<WorkItem> batch, int from, int to, ItemResult[] results)
      throws InterruptedException {
    CommandWorker worker = idle.take();
    try {
      worker.handle(batch, from, to, results);
    } finally {
      idle.add(worker);
    }
  }

  /** A batch is not attempted when every worker is far from its next restart. */
  private void requireAWorker() {
    CommandWorker soonest =
        workers.stream().min(Comparator.comparing(CommandWorker::downFor)).orElseThrow();
    Duration wait = soonest.downFor();
    if (wait.compareTo(tuning.maxRestartWait()) > 0) {
      throw new CommandUnavailableException(
          "step "
              + step
              + ": all "
              + workers.size()
              + " workers are down (worker "
              + soonest.index()
              + " "
              + soonest.trouble()
              + "); next restart in "
              + Durations.format(Duration.ofMillis(wait.toMillis() + 1)));
    }
  }
}
