package dev.conveyor.common.outage;

/**
 * Asks one service whether it answers, on a connection of its own with short timeouts (never the
 * daemon's pools, which may be busy or hold broken connections). Used by one thread at a time.
 */
public interface ServiceProbe extends AutoCloseable {
  /**
   * Returns when the service answered; throws, with the reason, when it did not.
   *
   * @param fresh on a new connection (the old one may have survived what the others did not:
   *     whoever reported a failure could not use theirs)
   */
  void check(boolean fresh) throws Exception;

  /** Releases the probe's connection. */
  @Override
  void close();
}
