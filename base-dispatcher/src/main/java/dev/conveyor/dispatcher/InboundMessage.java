package dev.conveyor.dispatcher;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.runtime.pipeline.Pipeline;
import java.time.Instant;

/**
 * An inbox entry that passed validation.
 *
 * @param taskId the producer's {@code id}, or the stream entry id when it gave none
 * @param receivedAt when Redis appended the entry
 */
public record InboundMessage(
    String streamId, String taskId, Pipeline pipeline, ObjectNode payload, Instant receivedAt) {}
