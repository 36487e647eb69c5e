package dev.conveyor.e2e;

import java.util.Collection;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * What compose's {@code restart: always} (and {@code run-local}'s trio) does: a daemon that exits
 * by itself is started again a second later. A daemon exits 1 when it cannot get ready — e.g. the
 * patrol, restarted while PostgreSQL is still recovering from its crash. A daemon killed for good
 * (a host lost) stays down.
 */
final class Supervisor implements AutoCloseable {
  private final Collection<DaemonProcess> daemons;
  private final Consumer<String> note;
  private final Set<String> down = ConcurrentHashMap.newKeySet();
  private volatile boolean closing;
  private Thread thread;

  Supervisor(Collection<DaemonProcess> daemons, Consumer<String> note) {
    this.daemons = daemons;
    this.note = note;
  }

  void start() {
    thread = Thread.ofPlatform().daemon().name("supervisor").start(this::supervise);
  }

  private void supervise() {
    while (!closing) {
      try {
        // why: compose restarts a container about a second after it exited
        Thread.sleep(1_000);
        synchronized (this) {
          for (DaemonProcess d : daemons) {
            if (!closing && !down.contains(d.name()) && d.exitCode().isPresent()) {
              note.accept(
                  d.name() + " exited with code " + d.exitCode().getAsInt() + ", restarted");
              d.start();
            }
          }
        }
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** SIGKILL and a start at once, before the supervisor sees the exit. */
  synchronized void restart(DaemonProcess d) throws InterruptedException {
    d.kill();
    d.start();
  }

  /** SIGKILL to one replica, which stays down (a host lost): the others must take over. */
  synchronized void killForGood(DaemonProcess d) throws InterruptedException {
    down.add(d.name());
    d.kill();
  }

  boolean isDown(DaemonProcess d) {
    return down.contains(d.name());
  }

  @Override
  public void close() {
    closing = true;
    if (thread != null) {
      thread.interrupt();
    }
  }
}
