package dev.conveyor.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;

/**
 * Free TCP ports for the processes a test starts (daemons, Redis, PostgreSQL). why: a port is
 * picked by binding port 0 and closing the socket, and the kernel may hand the same port out again
 * before the first process listens on it: a daemon and a Redis of one test once got the same one.
 * Within this JVM, no port is given twice.
 */
final class Ports {
  private static final Set<Integer> GIVEN = new HashSet<>();

  private Ports() {}

  /** A port nothing listened on just now, and never given before by this JVM. */
  static synchronized int free() {
    while (true) {
      try (ServerSocket s = new ServerSocket(0)) {
        if (GIVEN.add(s.getLocalPort())) {
          return s.getLocalPort();
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
