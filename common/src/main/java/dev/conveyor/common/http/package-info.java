/**
 * The status server every daemon runs on {@code CONVEYOR_HTTP_PORT}: {@code GET /health}, {@code
 * GET /status}, {@code GET /metrics} and routes a daemon adds (task lookups, control actions that
 * may require the admin token).
 */
package dev.conveyor.common.http;
