package dev.conveyor.common.lifecycle;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A system with a lifecycle: a daemon, or one of its parts (Redis client, connection pool,
 * scheduler, HTTP server, pipeline step). Subclasses override the {@code on*} hooks; the public
 * transition methods check the {@link Transition} table, run the hook, move to the new state, log
 * one line and tell the listeners.
 *
 * <p>Transitions are serialised by a lock; {@link #state()}, {@link #reason()} and {@link
 * #snapshot()} never wait for it, so a status endpoint answers while a slow start is under way.
 */
public abstract class Lifecycle {

  /** A hook, or a composite's hook plus what it does to its children. */
  @FunctionalInterface
  interface Hook {
    void run() throws Exception;
  }

  private record Status(State state, String reason) {}

  final Object lock = new Object();
  private final String name;
  private final LifecycleLog log = new LifecycleLog(getClass());
  private final List<LifecycleListener> listeners = new CopyOnWriteArrayList<>();
  private volatile Status status = new Status(State.INITIAL, null);

  protected Lifecycle(String name) {
    this.name = Objects.requireNonNull(name, "name");
  }

  public final String name() {
    return name;
  }

  public final State state() {
    return status.state();
  }

  /** Why the system is in its state: set by disable, terminate or a failed hook. */
  public final Optional<String> reason() {
    return Optional.ofNullable(status.reason());
  }

  /** Whether the system is running or merely suspended by an operator. */
  public final boolean isHealthy() {
    State state = state();
    return state == State.RUNNING || state == State.INTERMITTED;
  }

  public final LifecycleSnapshot snapshot() {
    Status current = status;
    return new LifecycleSnapshot(name, current.state(), current.reason(), childSnapshots());
  }

  public final void addListener(LifecycleListener listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
  }

  /**
   * INITIAL → READY, running {@link #onActivate()}. If the hook fails the system becomes DISABLED
   * with the failure's message as reason; nothing is thrown.
   */
  public final void activate() {
    synchronized (lock) {
      State from = require(Transition.ACTIVATE);
      Exception failure = attempt(this::doActivate);
      if (failure == null) {
        moveTo(from, State.READY, null);
      } else {
        moveTo(from, State.DISABLED, reasonOf(failure));
      }
    }
  }

  public final void disable(String reason) {
    Objects.requireNonNull(reason, "reason");
    synchronized (lock) {
      moveTo(require(Transition.DISABLE), State.DISABLED, reason);
    }
  }

  /**
   * DISABLED → READY, running {@link #onEnable()} and clearing the reason.
   *
   * @throws LifecycleException if the hook fails; the system stays DISABLED
   */
  public final void enable() {
    transit(Transition.ENABLE, this::doEnable);
  }

  /**
   * READY → RUNNING, running {@link #onStart()}. If the hook fails the system is stopped by force:
   * {@link #onTerminate()} runs to release what was acquired, the system becomes TERMINATED with
   * the failure's message as reason, and a {@link LifecycleException} is thrown.
   */
  public final void start() {
    synchronized (lock) {
      State from = require(Transition.START);
      Exception failure = attempt(this::doStart);
      if (failure == null) {
        moveTo(from, State.RUNNING, null);
        return;
      }
      runToEnd(Transition.TERMINATE, this::doTerminate);
      moveTo(from, State.TERMINATED, reasonOf(failure));
      throw failed(Transition.START, failure);
    }
  }

  /**
   * RUNNING or INTERMITTED → COMPLETED, running {@link #onComplete()}. The system completes even if
   * the hook fails; the failure is logged at ERROR and becomes the reason.
   */
  public final void complete() {
    synchronized (lock) {
      State from = require(Transition.COMPLETE);
      Exception failure = runToEnd(Transition.COMPLETE, this::doComplete);
      moveTo(from, State.COMPLETED, failure == null ? null : reasonOf(failure));
    }
  }

  /**
   * RUNNING → INTERMITTED, running {@link #onSuspend()}.
   *
   * @throws LifecycleException if the hook fails; the system stays RUNNING
   */
  public final void suspend() {
    transit(Transition.SUSPEND, this::doSuspend);
  }

  /**
   * INTERMITTED → RUNNING, running {@link #onResume()}.
   *
   * @throws LifecycleException if the hook fails; the system stays INTERMITTED
   */
  public final void resume() {
    transit(Transition.RESUME, this::doResume);
  }

  /**
   * Any state but a final one → TERMINATED, running {@link #onTerminate()}. The system terminates
   * even if the hook fails; the failure is logged at ERROR.
   */
  public final void terminate(String reason) {
    Objects.requireNonNull(reason, "reason");
    synchronized (lock) {
      State from = require(Transition.TERMINATE);
      runToEnd(Transition.TERMINATE, this::doTerminate);
      moveTo(from, State.TERMINATED, reason);
    }
  }

  /**
   * What a JVM shutdown hook calls: completes a running or suspended system, terminates one that
   * never ran, leaves a final one alone. Calling it again is harmless.
   */
  public final void shutdown() {
    synchronized (lock) {
      switch (state()) {
        case RUNNING, INTERMITTED -> complete();
        case INITIAL, READY, DISABLED -> terminate("shutdown");
        case COMPLETED, TERMINATED -> {
          // why: already closed, and a second shutdown must be harmless
        }
      }
    }
  }

  /** Collects what is needed to run; throw to leave the system DISABLED with the message. */
  protected void onActivate() throws Exception {}

  protected void onEnable() throws Exception {}

  protected void onStart() throws Exception {}

  /** Stops taking work, finishes or hands back the work in hand, releases resources. */
  protected void onComplete() throws Exception {}

  protected void onSuspend() throws Exception {}

  protected void onResume() throws Exception {}

  /** Stops by force and releases resources; runs from any non-final state, including INITIAL. */
  protected void onTerminate() throws Exception {}

  // why: package-private so that CompositeLifecycle can add its children to each transition
  // while subclasses everywhere see only the on* hooks.
  void doActivate() throws Exception {
    onActivate();
  }

  void doEnable() throws Exception {
    onEnable();
  }

  void doStart() throws Exception {
    onStart();
  }

  void doComplete() throws Exception {
    onComplete();
  }

  void doSuspend() throws Exception {
    onSuspend();
  }

  void doResume() throws Exception {
    onResume();
  }

  void doTerminate() throws Exception {
    onTerminate();
  }

  List<LifecycleSnapshot> childSnapshots() {
    return List.of();
  }

  static String reasonOf(Throwable failure) {
    return Objects.requireNonNullElseGet(
        failure.getMessage(), () -> failure.getClass().getSimpleName());
  }

  private void transit(Transition transition, Hook hook) {
    synchronized (lock) {
      State from = require(transition);
      Exception failure = attempt(hook);
      if (failure != null) {
        throw failed(transition, failure);
      }
      moveTo(from, transition.target(), null);
    }
  }

  private State require(Transition transition) {
    State from = state();
    if (!transition.isAllowedFrom(from)) {
      throw new IllegalTransitionException(name, from, transition);
    }
    return from;
  }

  private Exception runToEnd(Transition transition, Hook hook) {
    Exception failure = attempt(hook);
    if (failure != null) {
      log.hookFailed(name, transition, failure);
    }
    return failure;
  }

  private static Exception attempt(Hook hook) {
    try {
      hook.run();
      return null;
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      return e;
    }
  }

  private LifecycleException failed(Transition transition, Exception failure) {
    return new LifecycleException(
        "system=" + name + " " + transition.verb() + " failed: " + reasonOf(failure), failure);
  }

  private void moveTo(State from, State to, String reason) {
    status = new Status(to, reason);
    log.state(name, to, reason);
    for (LifecycleListener listener : listeners) {
      try {
        listener.stateChanged(name, from, to, reason);
      } catch (RuntimeException e) {
        log.listenerFailed(name, e);
      }
    }
  }
}
