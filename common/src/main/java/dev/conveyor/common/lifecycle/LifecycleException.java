package dev.conveyor.common.lifecycle;

import java.io.Serial;

/** A lifecycle hook failed in a way the caller must know about (start, suspend, resume, enable). */
public class LifecycleException extends RuntimeException {
  @Serial private static final long serialVersionUID = 1L;

  public LifecycleException(String message) {
    super(message);
  }

  public LifecycleException(String message, Throwable cause) {
    super(message, cause);
  }
}
