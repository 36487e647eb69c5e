package dev.conveyor.common.lifecycle;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * A system made of subsystems, themselves plain or composite. Children start in the order they were
 * added (dependency order) and stop in reverse.
 *
 * <ul>
 *   <li>activate: own hook, then every child; READY only when every required child is READY, else
 *       DISABLED with reason {@code subsystem <child> disabled: <child reason>}.
 *   <li>start: every READY child, then own hook; if one fails, every child not yet closed is
 *       terminated in reverse and the composite becomes TERMINATED.
 *   <li>complete: own hook, then in reverse: running or suspended children complete, the others
 *       terminate.
 *   <li>terminate: own hook, then every child not yet closed terminates, in reverse.
 *   <li>suspend: own hook, then running children in reverse. resume: own hook, then suspended
 *       children in order. Every child is tried; the first failure is thrown.
 *   <li>enable: disabled children, then own hook; refused while a required child is not READY.
 * </ul>
 *
 * An optional child ({@link #addOptional}) that cannot be made READY does not hold the others back.
 */
public class CompositeLifecycle extends Lifecycle {

  private record Subsystem(Lifecycle child, boolean required) {}

  private final List<Subsystem> subsystems = new CopyOnWriteArrayList<>();

  public CompositeLifecycle(String name) {
    super(name);
  }

  /** Adds a subsystem the composite cannot run without; only before activation. */
  public final <T extends Lifecycle> T add(T child) {
    return attach(child, true);
  }

  /** Adds a subsystem the composite can run without; only before activation. */
  public final <T extends Lifecycle> T addOptional(T child) {
    return attach(child, false);
  }

  @Override
  final void doActivate() throws Exception {
    onActivate();
    for (Lifecycle child : children()) {
      if (child.state() == State.INITIAL) {
        child.activate();
      }
    }
    requireEveryRequiredChildReady(null);
  }

  @Override
  final void doEnable() throws Exception {
    LifecycleException requiredFailure = null;
    for (Subsystem subsystem : subsystems) {
      Lifecycle child = subsystem.child();
      if (child.state() == State.DISABLED) {
        try {
          child.enable();
        } catch (LifecycleException e) {
          // why: an optional child may stay disabled; a required one is reported below
          if (subsystem.required() && requiredFailure == null) {
            requiredFailure = e;
          }
        }
      }
    }
    requireEveryRequiredChildReady(requiredFailure);
    onEnable();
  }

  @Override
  final void doStart() throws Exception {
    requireEveryRequiredChildReady(null);
    for (Lifecycle child : children()) {
      if (child.state() == State.READY) {
        try {
          child.start();
        } catch (LifecycleException e) {
          throw new LifecycleException(
              "subsystem "
                  + child.name()
                  + " failed to start: "
                  + child.reason().orElse(e.getMessage()),
              e);
        }
      }
    }
    onStart();
  }

  @Override
  final void doComplete() throws Exception {
    String reason = "parent " + name() + " completed";
    closeAfter(
        this::onComplete,
        child -> {
          if (Transition.COMPLETE.isAllowedFrom(child.state())) {
            child.complete();
          } else if (!child.state().isFinal()) {
            child.terminate(reason);
          }
        });
  }

  @Override
  final void doTerminate() throws Exception {
    String reason = "parent " + name() + " terminated";
    closeAfter(
        this::onTerminate,
        child -> {
          if (!child.state().isFinal()) {
            child.terminate(reason);
          }
        });
  }

  @Override
  final void doSuspend() throws Exception {
    onSuspend();
    tryEach(
        children().reversed(),
        child -> {
          if (child.state() == State.RUNNING) {
            child.suspend();
          }
        });
  }

  @Override
  final void doResume() throws Exception {
    onResume();
    tryEach(
        children(),
        child -> {
          if (child.state() == State.INTERMITTED) {
            child.resume();
          }
        });
  }

  @Override
  final List<LifecycleSnapshot> childSnapshots() {
    return children().stream().map(Lifecycle::snapshot).toList();
  }

  private <T extends Lifecycle> T attach(T child, boolean required) {
    Objects.requireNonNull(child, "child");
    synchronized (lock) {
      if (state() != State.INITIAL) {
        throw new IllegalStateException(
            "system=" + name() + " cannot add subsystem " + child.name() + " when " + state());
      }
      if (child == this || children().contains(child)) {
        throw new IllegalArgumentException(
            "system=" + name() + " already contains subsystem " + child.name());
      }
      subsystems.add(new Subsystem(child, required));
    }
    return child;
  }

  private List<Lifecycle> children() {
    return subsystems.stream().map(Subsystem::child).toList();
  }

  private void requireEveryRequiredChildReady(Throwable cause) {
    Optional<String> blocker = firstRequiredChildNotReady();
    if (blocker.isPresent()) {
      throw new LifecycleException(blocker.get(), cause);
    }
  }

  private Optional<String> firstRequiredChildNotReady() {
    for (Subsystem subsystem : subsystems) {
      Lifecycle child = subsystem.child();
      State state = child.state();
      if (subsystem.required() && state != State.READY) {
        return Optional.of(
            state == State.DISABLED
                ? "subsystem " + child.name() + " disabled: " + child.reason().orElse("unknown")
                : "subsystem " + child.name() + " is " + state);
      }
    }
    return Optional.empty();
  }

  private void closeAfter(Hook ownHook, Consumer<Lifecycle> close) throws Exception {
    Exception failure = null;
    try {
      ownHook.run();
    } catch (Exception e) {
      failure = e;
    }
    try {
      tryEach(children().reversed(), close);
    } catch (RuntimeException e) {
      if (failure == null) {
        failure = e;
      } else {
        failure.addSuppressed(e);
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  /** Applies the action to every child, even after one fails; throws the first failure. */
  private static void tryEach(List<Lifecycle> children, Consumer<Lifecycle> action) {
    RuntimeException failure = null;
    for (Lifecycle child : children) {
      try {
        action.accept(child);
      } catch (RuntimeException e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }
}
