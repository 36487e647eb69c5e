package dev.conveyor.e2e;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;

/** What happened in a run and when (seconds since its start): printed as it happens and again. */
final class Timeline {
  private final long started = System.nanoTime();
  private final List<String> lines = new CopyOnWriteArrayList<>();

  synchronized void note(String what) {
    String line =
        String.format(Locale.ROOT, "  %6.1fs  %s", (System.nanoTime() - started) / 1e9, what);
    lines.add(line);
    System.out.println(line);
  }

  void print() {
    lines.forEach(System.out::println);
  }
}
