package dev.conveyor.runtime.step;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Optional;

/**
 * What a step gets when it opens.
 *
 * @param options the step's {@code options} from the pipeline file
 * @param resources the step's {@code resources}: read-only, loaded once per JVM and shared
 */
public record StepContext(
    String pipeline,
    String step,
    int worker,
    Map<String, Object> options,
    Map<String, SharedResource> resources) {

  public StepContext {
    options = Map.copyOf(options);
    resources = Map.copyOf(resources);
  }

  /** A resource the step declared, by name. */
  public Optional<SharedResource> resource(String name) {
    return Optional.ofNullable(resources.get(name));
  }

  /**
   * A read-only file shared by every step and worker of the JVM that uses it, memory-mapped, so
   * memory does not grow with {@code workers}.
   */
  public interface SharedResource {
    String name();

    /** A new read-only view of the whole file (position 0); views are cheap, the data is shared. */
    ByteBuffer bytes();

    long size();
  }
}
