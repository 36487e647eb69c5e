package dev.conveyor.common.outage;

import java.sql.SQLTransientConnectionException;

/**
 * What {@link GuardedDataSource} throws instead of asking the pool while the service watch knows
 * PostgreSQL is down. The watch said so when it refused: a failure this caused is that outage's,
 * even when the watch has seen PostgreSQL come back by the time the failure is reported.
 */
final class RefusedWhileDown extends SQLTransientConnectionException {
  private static final long serialVersionUID = 1L;

  RefusedWhileDown() {
    super("PostgreSQL is down (service watch); waiting for it to answer again", "08001");
  }
}
