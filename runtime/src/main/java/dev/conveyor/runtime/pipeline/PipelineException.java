package dev.conveyor.runtime.pipeline;

import dev.conveyor.common.config.ConfigException;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A pipeline file, or a directory of them, cannot be used. The message has one line per problem,
 * each naming the file (and the step, when the problem is in one), for example {@code ner.yaml:
 * step 'merge': unknown predecessor 'compny'}.
 */
public final class PipelineException extends ConfigException {
  private static final long serialVersionUID = 1L;

  /** One problem, or several already formatted one per line. */
  public PipelineException(String message) {
    super(message);
  }

  public PipelineException(String message, Throwable cause) {
    super(message, cause);
  }

  /** Problems found in one source, each prefixed with the source's name. */
  static PipelineException of(String source, List<String> problems) {
    return new PipelineException(
        problems.stream().map(p -> source + ": " + p).collect(Collectors.joining("\n")));
  }

  /** The problem lines of the message, each naming its file. */
  public List<String> problems() {
    return getMessage().lines().toList();
  }
}
