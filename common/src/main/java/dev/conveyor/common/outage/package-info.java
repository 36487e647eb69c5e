/**
 * Outages of Redis and PostgreSQL: telling them from other failures ({@link
 * dev.conveyor.common.outage.Outages}), and the {@link dev.conveyor.common.outage.ServiceWatch}
 * every daemon keeps of the services it depends on (one WARN when one goes, one INFO when it is
 * back, {@code /health} degraded meanwhile, waiting work woken as soon as it answers).
 */
package dev.conveyor.common.outage;
