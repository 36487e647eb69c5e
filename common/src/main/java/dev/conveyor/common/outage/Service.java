package dev.conveyor.common.outage;

import java.util.Locale;

/** A service a daemon depends on, as its logs, {@code /health} and metrics name it. */
public enum Service {
  /** The runtime Redis (or Redis Cluster): tasks, queues, heartbeats. */
  REDIS(Kind.REDIS),
  /** The inbox's Redis, when {@code CONVEYOR_INBOX_URL} puts it on another server. */
  INBOX(Kind.REDIS),
  /** PostgreSQL: results, audit, rejected messages, dead items, Quartz's store. */
  POSTGRES(Kind.POSTGRES);

  /** What kind of server it is, which is what a failure can tell. */
  public enum Kind {
    REDIS,
    POSTGRES
  }

  private final Kind kind;

  Service(Kind kind) {
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }

  /** {@code redis}, {@code inbox}, {@code postgres}. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
