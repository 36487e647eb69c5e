package dev.conveyor.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Collects a benchmark's result rows and writes them as a Markdown table (and to stdout). */
final class BenchReport {
  private final String title;
  private final String command;
  private final List<String> rows = new ArrayList<>();

  BenchReport(String title, String command) {
    this.title = title;
    this.command = command;
  }

  void row(String run, long messages, double seconds) {
    rows.add(
        String.format(
            Locale.ROOT,
            "| %s | %,d | %.2f | %,.0f |",
            run,
            messages,
            seconds,
            messages / seconds));
    System.out.println("bench: " + rows.getLast());
  }

  /** Writes {@code e2e/target/bench/<name>.md}. */
  void write(String name) {
    StringBuilder md = new StringBuilder();
    md.append("### ").append(title).append("\n\n");
    md.append("`").append(command).append("` — ").append(Machine.describe()).append(", ");
    md.append(Instant.now().toString(), 0, 10).append("\n\n");
    md.append("| run | messages | seconds | messages/s |\n|---|---:|---:|---:|\n");
    rows.forEach(r -> md.append(r).append('\n'));
    Path out = Repo.root().resolve("e2e/target/bench/" + name + ".md");
    try {
      Files.createDirectories(out.getParent());
      Files.writeString(out, md);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    System.out.println(md);
  }

  /** What the numbers were measured on. */
  static final class Machine {
    private Machine() {}

    static String describe() {
      String cpu = "unknown CPU";
      try {
        cpu =
            Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                .filter(l -> l.startsWith("model name"))
                .findFirst()
                .map(l -> l.substring(l.indexOf(':') + 1).strip())
                .orElse(cpu);
      } catch (IOException e) {
        // not Linux: the CPU stays unnamed
      }
      long gib = Runtime.getRuntime().maxMemory() > 0 ? totalMemoryGib() : 0;
      return Runtime.getRuntime().availableProcessors()
          + " cores ("
          + cpu
          + "), "
          + gib
          + " GiB, Java "
          + Runtime.version().feature();
    }

    private static long totalMemoryGib() {
      try {
        return Files.readAllLines(Path.of("/proc/meminfo")).stream()
            .filter(l -> l.startsWith("MemTotal:"))
            .findFirst()
            .map(l -> Long.parseLong(l.replaceAll("\\D", "")) / (1024 * 1024))
            .orElse(0L);
      } catch (IOException e) {
        return 0;
      }
    }
  }
}
