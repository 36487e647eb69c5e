package dev.conveyor.e2e;

import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What Docker tells of one container of the stack: its JVM, restarts, image, logs and metrics. */
final class Containers {
  private static final Pattern CHAIN_SHARE =
      Pattern.compile("event=chain_share chains=(\\d+) processors=(\\d+) share=(\\d+)");

  private Containers() {}

  /** Items this processor container ran (conveyor_processor_items_total, all steps). */
  static long itemsProcessed(String container) {
    String metrics = ComposeProject.dockerOk("exec", container, "conveyor-http", "/metrics");
    return metrics
        .lines()
        .filter(l -> l.startsWith("conveyor_processor_items_total"))
        .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .sum();
  }

  /** The processors= of every chain_share line this container logged (since, if given). */
  static List<Integer> chainShares(String container, String since) {
    List<String> args = new ArrayList<>(List.of("logs"));
    if (since != null) {
      args.addAll(List.of("--since", since));
    }
    args.add(container);
    Matcher m = CHAIN_SHARE.matcher(ComposeProject.dockerOk(args.toArray(String[]::new)));
    List<Integer> processors = new ArrayList<>();
    while (m.find()) {
      processors.add(Integer.parseInt(m.group(2)));
    }
    return processors;
  }

  static int lastChainShare(String container, String since) {
    List<Integer> all = chainShares(container, since);
    return all.isEmpty() ? -1 : all.getLast();
  }

  /** Now, as {@code docker logs --since} takes it. */
  static String dockerSince() {
    return LocalDateTime.now(ZoneOffset.UTC)
        .format(DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"));
  }

  static int restartCount(String container) {
    return Integer.parseInt(
        ComposeProject.dockerOk("inspect", "--format", "{{.RestartCount}}", container));
  }

  static boolean running(String container) {
    return ComposeProject.dockerOk("inspect", "--format", "{{.State.Running}}", container)
        .equals("true");
  }

  /** The host pid of the container's JVM (its PID 1 is the init that compose's init: true adds). */
  static String javaPid(String container) {
    return ComposeProject.dockerOk("top", container, "-eo", "pid,comm")
        .lines()
        .map(l -> l.strip().split("\\s+"))
        .filter(p -> p.length == 2 && p[1].equals("java"))
        .map(p -> p[0])
        .findFirst()
        .orElseThrow(() -> new AssertionError("no java process in " + container));
  }

  static long imageSize(String container) {
    String image = ComposeProject.dockerOk("inspect", "--format", "{{.Image}}", container);
    return Long.parseLong(
        ComposeProject.dockerOk("image", "inspect", "--format", "{{.Size}}", image));
  }
}
