/**
 * Reading what the daemons leave in Redis for operators — step backlogs, heartbeats — shared by
 * patrol's {@code /status} and the operator CLI's {@code conveyor status}, so both show the same.
 */
package dev.conveyor.runtime.status;
