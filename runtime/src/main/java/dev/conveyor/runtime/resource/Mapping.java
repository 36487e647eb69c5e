package dev.conveyor.runtime.resource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One file mapped read-only into memory, with the number of handles that hold it and the values
 * derived from it. {@link SharedResources} changes {@link #holders} only inside its map's atomic
 * per-key operations, which is what makes it safe without a lock of its own.
 */
final class Mapping {
  private static final Logger log = LoggerFactory.getLogger(SharedResources.class);

  private final String name;
  private final FileIdentity identity;
  // why: a shared arena (not a plain MappedByteBuffer) so that unmapping happens when the last
  // holder lets go, not whenever the garbage collector gets to it
  private final Arena arena;
  private final MemorySegment segment;
  private final ConcurrentHashMap<String, Derived> derived = new ConcurrentHashMap<>();
  int holders;

  private Mapping(String name, FileIdentity identity, Arena arena, MemorySegment segment) {
    this.name = name;
    this.identity = identity;
    this.arena = arena;
    this.segment = segment;
  }

  static Mapping open(String name, FileIdentity identity) {
    Arena arena = Arena.ofShared();
    try (FileChannel channel = FileChannel.open(identity.path(), StandardOpenOption.READ)) {
      if (channel.size() != identity.size()) {
        // why: mapping past the end of a file that shrank would fault on access; a resource file
        // must be replaced by renaming a complete file over it, never rewritten in place
        throw new ResourceException(
            name,
            identity.path(),
            "the file changed size while being mapped ("
                + identity.size()
                + " -> "
                + channel.size()
                + " bytes); replace resource files by renaming, not by rewriting them");
      }
      MemorySegment segment = channel.map(FileChannel.MapMode.READ_ONLY, 0, identity.size(), arena);
      log.atInfo()
          .addKeyValue("event", "resource_loaded")
          .addKeyValue("name", name)
          .addKeyValue("path", identity.path())
          .addKeyValue("bytes", identity.size())
          .log();
      return new Mapping(name, identity, arena, segment);
    } catch (AccessDeniedException e) {
      arena.close();
      throw new ResourceException(name, identity.path(), "permission denied", e);
    } catch (IOException e) {
      arena.close();
      throw new ResourceException(name, identity.path(), "cannot map: " + e, e);
    } catch (RuntimeException e) {
      arena.close();
      throw e;
    }
  }

  FileIdentity identity() {
    return identity;
  }

  MemorySegment segment() {
    return segment;
  }

  /** Unmaps the file: every view of it throws {@link IllegalStateException} from now on. */
  void unmap() {
    derived.clear();
    try {
      arena.close();
      log.atInfo()
          .addKeyValue("event", "resource_unloaded")
          .addKeyValue("name", name)
          .addKeyValue("path", identity.path())
          .addKeyValue("bytes", identity.size())
          .log();
    } catch (IllegalStateException | UnsupportedOperationException e) {
      // why: a view still in use by a native operation keeps the arena open; the mapping then
      // lives until the JVM exits, which costs address space, not correctness
      log.atWarn()
          .addKeyValue("event", "resource_unload_failed")
          .addKeyValue("name", name)
          .addKeyValue("path", identity.path())
          .addKeyValue("error", e.getMessage())
          .log();
    }
  }

  <T> T derived(String resource, String key, Class<T> type, Supplier<? extends T> build) {
    return derived.computeIfAbsent(key, k -> new Derived()).get(resource, key, type, build);
  }

  /** A value built once from the mapping; a build that fails is tried again by the next caller. */
  private static final class Derived {
    private final ReentrantLock lock = new ReentrantLock();
    private Object value;

    <T> T get(String resource, String key, Class<T> type, Supplier<? extends T> build) {
      lock.lock();
      try {
        if (value == null) {
          long started = System.nanoTime();
          value =
              Objects.requireNonNull(
                  build.get(),
                  () -> "shared value '" + key + "' of resource '" + resource + "' built null");
          log.atInfo()
              .addKeyValue("event", "resource_shared_built")
              .addKeyValue("name", resource)
              .addKeyValue("key", key)
              .addKeyValue("type", value.getClass().getName())
              .addKeyValue("ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started))
              .log();
        }
        if (!type.isInstance(value)) {
          throw new IllegalStateException(
              "shared value '"
                  + key
                  + "' of resource '"
                  + resource
                  + "' is a "
                  + value.getClass().getName()
                  + ", not a "
                  + type.getName());
        }
        return type.cast(value);
      } finally {
        lock.unlock();
      }
    }
  }
}
