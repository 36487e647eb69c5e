package dev.conveyor.runtime.pipeline;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The loaded pipelines, by name, in load order (sorted file names). Immutable. */
public final class Pipelines {
  private static final Pipelines EMPTY = new Pipelines(Map.of());

  private final Map<String, Pipeline> byName;

  private Pipelines(Map<String, Pipeline> byName) {
    this.byName = byName;
  }

  /**
   * The given pipelines, in the given order.
   *
   * @throws IllegalArgumentException if two share a name
   */
  public static Pipelines of(Collection<Pipeline> pipelines) {
    var byName = new LinkedHashMap<String, Pipeline>();
    for (Pipeline p : pipelines) {
      Pipeline earlier = byName.putIfAbsent(p.name(), p);
      if (earlier != null) {
        throw new IllegalArgumentException(
            "pipeline '"
                + p.name()
                + "' is declared in both "
                + earlier.source()
                + " and "
                + p.source());
      }
    }
    return new Pipelines(Collections.unmodifiableMap(byName));
  }

  /** No pipelines. */
  public static Pipelines empty() {
    return EMPTY;
  }

  /** The pipeline called {@code name}, if loaded. */
  public Optional<Pipeline> get(String name) {
    return Optional.ofNullable(byName.get(name));
  }

  /** Every pipeline, in load order. */
  public List<Pipeline> all() {
    return List.copyOf(byName.values());
  }

  /** Every pipeline's name, in load order. */
  public List<String> names() {
    return List.copyOf(byName.keySet());
  }

  public int size() {
    return byName.size();
  }

  public boolean isEmpty() {
    return byName.isEmpty();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Pipelines other && byName.equals(other.byName);
  }

  @Override
  public int hashCode() {
    return byName.hashCode();
  }

  @Override
  public String toString() {
    return byName.values().stream().map(p -> p.name() + " v" + p.version()).toList().toString();
  }
}
