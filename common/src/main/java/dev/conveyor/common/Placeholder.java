package dev.conveyor.common;

/** Placeholder. */
public final class Placeholder {
  private Placeholder() {}
}
