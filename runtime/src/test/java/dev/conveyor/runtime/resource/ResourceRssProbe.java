package dev.conveyor.runtime.resource;

import java.io.IOException;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * Measures the resident memory of N workers that all read one large resource, for
 * docs/benchmarks.md's figures ({@code deploy/bin/bench-resources} runs it; not a test).
 *
 * <pre>
 * java -cp ... dev.conveyor.runtime.resource.ResourceRssProbe FILE WORKERS [--copy]
 * </pre>
 *
 * Each worker thread takes the resource and reads one byte of every 4 KiB page, so that every page
 * is resident, then waits while the process reads its own {@code /proc/self/status} and prints one
 * line: {@code rss_kb=.. rss_file_kb=.. rss_anon_kb=.. workers=N bytes=.. mode=mapped|copy}. By
 * default the workers share one {@link SharedResources} mapping; with {@code --copy} each reads the
 * whole file into a {@code byte[]} of its own, as a naive step would.
 */
public final class ResourceRssProbe {
  private static final int PAGE = 4096;
  private static final int CHUNK = 1 << 20;

  private ResourceRssProbe() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 2 || args.length > 3 || (args.length == 3 && !args[2].equals("--copy"))) {
      System.err.println("usage: ResourceRssProbe FILE WORKERS [--copy]");
      System.exit(2);
    }
    Path file = Path.of(args[0]);
    int workers = Integer.parseInt(args[1]);
    boolean copy = args.length == 3;
    long bytes = Files.size(file);

    var resources = new SharedResources();
    var ready = new CountDownLatch(workers);
    var done = new CountDownLatch(1);
    var failure = new AtomicReference<Throwable>();
    var checksum = new LongAdder();
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < workers; i++) {
      Runnable work =
          () -> {
            try {
              if (copy) {
                byte[] own = readWhole(file);
                checksum.add(touchPages(ByteBuffer.wrap(own)));
                holdUntil(ready, done);
                Reference.reachabilityFence(own);
              } else {
                try (var resource = resources.acquire("probe", file)) {
                  checksum.add(touchPages(resource.bytes()));
                  holdUntil(ready, done);
                }
              }
            } catch (Throwable e) {
              failure.compareAndSet(null, e);
              ready.countDown();
            }
          };
      threads.add(Thread.ofPlatform().name("probe-worker-" + i).start(work));
    }
    ready.await();
    Map<String, String> status = procSelfStatus();
    done.countDown();
    for (Thread t : threads) {
      t.join();
    }
    if (failure.get() != null) {
      failure.get().printStackTrace();
      System.exit(1);
    }
    System.out.printf(
        "rss_kb=%s rss_file_kb=%s rss_anon_kb=%s workers=%d bytes=%d mode=%s checksum=%d%n",
        status.getOrDefault("VmRSS", "n/a"),
        status.getOrDefault("RssFile", "n/a"),
        status.getOrDefault("RssAnon", "n/a"),
        workers,
        bytes,
        copy ? "copy" : "mapped",
        checksum.sum());
  }

  private static void holdUntil(CountDownLatch ready, CountDownLatch done) {
    ready.countDown();
    try {
      done.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static byte[] readWhole(Path file) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = channel.size();
      if (size > Integer.MAX_VALUE - 8) {
        throw new IOException(file + " is too large for one byte[]");
      }
      byte[] own = new byte[(int) size];
      int at = 0;
      while (at < own.length) {
        int n = channel.read(ByteBuffer.wrap(own, at, Math.min(CHUNK, own.length - at)));
        if (n < 0) {
          throw new IOException(file + " ended early at " + at);
        }
        at += n;
      }
      return own;
    }
  }

  private static long touchPages(ByteBuffer view) {
    long sum = 0;
    for (int i = 0; i < view.limit(); i += PAGE) {
      sum += view.get(i);
    }
    return sum;
  }

  /** The kB figures of {@code /proc/self/status} by name ({@code VmRSS}, {@code RssFile}, ...). */
  private static Map<String, String> procSelfStatus() throws IOException {
    Map<String, String> values = new LinkedHashMap<>();
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      int colon = line.indexOf(':');
      String value = line.substring(colon + 1).trim();
      if (colon > 0 && value.endsWith(" kB")) {
        values.put(line.substring(0, colon), value.substring(0, value.length() - 3).trim());
      }
    }
    return values;
  }
}
