package dev.conveyor.runtime.resource;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.conveyor.runtime.step.StepContext;
import java.nio.ByteBuffer;

/** A resource held in a heap array, as a step's unit test would pass one. */
record FakeResource(String name, byte[] content) implements StepContext.SharedResource {
  FakeResource(String name, String content) {
    this(name, content.getBytes(UTF_8));
  }

  @Override
  public ByteBuffer bytes() {
    return ByteBuffer.wrap(content).asReadOnlyBuffer();
  }

  @Override
  public long size() {
    return content.length;
  }
}
