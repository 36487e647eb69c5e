/** The Prometheus registry each daemon exposes on {@code GET /metrics}. */
package dev.conveyor.common.metrics;
