package dev.conveyor.runtime.resource;

import dev.conveyor.runtime.step.StepContext.SharedResource;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The read-only files that pipelines name in {@code resources:} (gazetteers, models), loaded once
 * per JVM and shared by every worker and every step that uses them, so that memory does not grow
 * with {@code workers}.
 *
 * <p>A file is memory-mapped read-only on its first {@link #acquire}; later acquisitions of the
 * same file (same real path, size, modification time and file key) get a handle on the same
 * mapping. The pages live in the operating system's page cache: they are read from disk once, count
 * once in the process's RSS (as {@code RssFile}) however many threads read them, and are shared
 * with any other process mapping the same file. The file is unmapped when the last handle is
 * {@linkplain MappedResource#close() closed}.
 *
 * <p>A file is read through one {@link java.nio.ByteBuffer}, so it may have at most {@link
 * #MAX_BYTES} bytes (2 GiB - 1); a larger one is refused with a {@link ResourceException}. Files
 * must be replaced by renaming a complete file over them, never rewritten in place: the mapping
 * reads the file as it is now.
 *
 * <p>One registry per JVM: the processor makes it, acquires each step instance's resources before
 * {@code open} and closes them after {@code close}. Thread-safe.
 */
public final class SharedResources {
  /** The largest file a resource may be: it is read through one ByteBuffer, indexed by int. */
  public static final long MAX_BYTES = Integer.MAX_VALUE;

  private final ConcurrentHashMap<FileIdentity, Mapping> mappings = new ConcurrentHashMap<>();

  /**
   * A handle on the file, mapped now if no one holds it yet; close it when done.
   *
   * @param name the resource's name in the pipeline, for messages and logs
   * @throws ResourceException when the file is missing, unreadable, not a regular file or larger
   *     than {@link #MAX_BYTES}; the message names the resource and the file
   */
  public MappedResource acquire(String name, Path file) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(file, "file");
    FileIdentity identity = FileIdentity.of(name, file);
    Mapping mapping =
        mappings.compute(
            identity,
            (id, held) -> {
              Mapping m = held != null ? held : Mapping.open(name, id);
              m.holders++;
              return m;
            });
    return new MappedResource(name, mapping, this);
  }

  void release(Mapping mapping) {
    mappings.computeIfPresent(
        mapping.identity(),
        (id, held) -> {
          if (held != mapping || --held.holders > 0) {
            return held;
          }
          held.unmap();
          return null;
        });
  }

  /** How many files are mapped now. */
  public int mappedFiles() {
    return mappings.size();
  }

  /** The bytes of every file mapped now, each counted once. */
  public long mappedBytes() {
    return mappings.keySet().stream().mapToLong(FileIdentity::size).sum();
  }

  /**
   * A read-only value derived from a resource, built once and shared by every step instance that
   * asks with the same {@code key} while the file stays mapped.
   *
   * <p>Why: a view of the file costs no heap, but an index built from it (a hash set of first
   * names, a parsed model) costs heap once per step instance that builds its own, that is once per
   * worker. Built here it costs heap once per JVM. The value must be immutable or otherwise safe to
   * read from many threads at once, and should not hold views of the file beyond the life of the
   * handles (it is dropped when the file is unmapped). A build that throws is tried again by the
   * next caller.
   *
   * <p>For a resource that is not a {@link MappedResource} (a test double) the value is built on
   * every call.
   *
   * @param key names the value among those derived from the same file, e.g. {@code
   *     "first-names/lowercase"}; two callers with the same key get the same object
   * @throws IllegalStateException when a value with this key is already there with another type
   */
  public static <T> T computeShared(
      SharedResource resource,
      String key,
      Class<T> type,
      Function<? super SharedResource, ? extends T> build) {
    if (resource instanceof MappedResource mapped) {
      return mapped.shared(key, type, build);
    }
    return type.cast(Objects.requireNonNull(build.apply(resource), "build returned null"));
  }

  /**
   * The resource's UTF-8 lines, read from the mapping one line at a time: only the line in hand is
   * copied to the heap, never the whole file. See {@link TextLines} for what a line is.
   */
  public static TextLines lines(SharedResource resource) {
    return new TextLines(resource);
  }
}
