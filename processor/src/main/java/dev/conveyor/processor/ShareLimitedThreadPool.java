package dev.conveyor.processor;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import org.quartz.spi.ThreadPool;

/**
 * Quartz's worker pool for the step ticks, which offers Quartz no more threads than the processor's
 * {@link ChainShare} allows: Quartz acquires triggers only for the threads this pool says are
 * available, so a processor at its share takes no more chains and leaves them to its replicas.
 *
 * <p>Quartz creates the pool by its class name ({@code org.quartz.threadPool.class}) and sets
 * {@code threadCount} and {@code threadNamePrefix}; the limit is looked up by the scheduler's
 * instance id, under which {@link StepScheduler} registers it before creating the scheduler.
 */
public final class ShareLimitedThreadPool implements ThreadPool {
  private static final Map<String, IntSupplier> LIMITS = new ConcurrentHashMap<>();
  // why: the limit changes without a signal (a periodic recount); re-read it this often
  private static final long RECHECK_MILLIS = 500;

  private final Object lock = new Object();
  private int threadCount = 1;
  private String threadNamePrefix = "quartz-worker";
  private String instanceId = "";
  private IntSupplier limit = () -> Integer.MAX_VALUE;
  private ExecutorService workers;
  private int running;
  private boolean shutdown;

  static void register(String instanceId, IntSupplier limit) {
    LIMITS.put(instanceId, limit);
  }

  static void unregister(String instanceId) {
    LIMITS.remove(instanceId);
  }

  public void setThreadCount(int threadCount) {
    if (threadCount < 1) {
      throw new IllegalArgumentException("threadCount must be at least 1, not " + threadCount);
    }
    this.threadCount = threadCount;
  }

  public void setThreadNamePrefix(String threadNamePrefix) {
    this.threadNamePrefix = threadNamePrefix;
  }

  @Override
  public void setInstanceId(String schedInstId) {
    this.instanceId = schedInstId;
  }

  @Override
  public void setInstanceName(String schedName) {
    // the instance id names the limit; the scheduler name is the same on every processor
  }

  @Override
  public void initialize() {
    limit = LIMITS.getOrDefault(instanceId, limit);
    workers =
        Executors.newFixedThreadPool(
            threadCount, Thread.ofPlatform().name(threadNamePrefix + "-", 1).factory());
  }

  @Override
  public int getPoolSize() {
    return threadCount;
  }

  /** Threads free now within the share; waits while there are none. 0 once shut down. */
  @Override
  public int blockForAvailableThreads() {
    synchronized (lock) {
      while (!shutdown) {
        int free = Math.min(threadCount, limit.getAsInt()) - running;
        if (free > 0) {
          return free;
        }
        try {
          lock.wait(RECHECK_MILLIS);
        } catch (InterruptedException e) {
          // why: as Quartz's own pool, ignored: the scheduler thread halts through its own flag
        }
      }
      return 0;
    }
  }

  /**
   * Runs a fired tick. Never refuses: Quartz puts a trigger it could not hand over in ERROR. A tick
   * beyond a share lowered a moment ago simply runs; one handed over while the pool shuts down runs
   * on a thread of its own, as in Quartz's own pool.
   */
  @Override
  public boolean runInThread(Runnable runnable) {
    synchronized (lock) {
      if (shutdown) {
        Thread.ofPlatform().name(threadNamePrefix + "-late").start(runnable);
        return true;
      }
      running++;
    }
    workers.execute(() -> {
      try {
        runnable.run();
      } finally {
        synchronized (lock) {
          running--;
          lock.notifyAll();
        }
      }
    });
    return true;
  }

  @Override
  public void shutdown(boolean waitForJobsToComplete) {
    synchronized (lock) {
      shutdown = true;
      lock.notifyAll();
    }
    if (workers == null) {
      return;
    }
    workers.shutdown();
    if (waitForJobsToComplete) {
      try {
        workers.awaitTermination(Long.MAX_VALUE, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
