package dev.conveyor.runtime.resource;

import dev.conveyor.runtime.step.StepContext;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * One holder's handle on a shared, memory-mapped resource, from {@link SharedResources#acquire}.
 * Every handle on the same file sees the same mapping; {@link #close()} lets go of this handle (a
 * second close does nothing), and the file is unmapped when the last handle is closed. After that
 * the handle and every view it gave out throw {@link IllegalStateException}.
 */
public final class MappedResource implements StepContext.SharedResource, AutoCloseable {
  private final String name;
  private final Mapping mapping;
  private final SharedResources owner;
  private final AtomicBoolean closed = new AtomicBoolean();

  MappedResource(String name, Mapping mapping, SharedResources owner) {
    this.name = name;
    this.mapping = mapping;
    this.owner = owner;
  }

  /** The name the pipeline gave the resource (two names may share one file, and its mapping). */
  @Override
  public String name() {
    return name;
  }

  /** The file's real path (links resolved). */
  public Path path() {
    return mapping.identity().path();
  }

  @Override
  public long size() {
    return mapping.identity().size();
  }

  /** A new read-only view of the whole file at position 0; views are independent and cheap. */
  @Override
  public ByteBuffer bytes() {
    return segment().asByteBuffer();
  }

  /** The mapped file as one read-only segment, the same object for every handle on the file. */
  public MemorySegment segment() {
    if (closed.get()) {
      throw new IllegalStateException("resource '" + name + "' was released by this holder");
    }
    return mapping.segment();
  }

  /**
   * A read-only value derived from this file (an index, a parsed model) built once per mapping by
   * the first caller and then shared by every caller with the same {@code key}; see {@link
   * SharedResources#computeShared}.
   */
  public <T> T shared(
      String key, Class<T> type, Function<? super MappedResource, ? extends T> build) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(build, "build");
    segment(); // why: refuse on a released handle before building anything
    return mapping.derived(name, key, type, () -> build.apply(this));
  }

  /** Lets go of this handle; the last one to go unmaps the file. Closing twice is harmless. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      owner.release(mapping);
    }
  }

  @Override
  public String toString() {
    return "MappedResource[name=" + name + ", path=" + path() + ", bytes=" + size() + "]";
  }
}
