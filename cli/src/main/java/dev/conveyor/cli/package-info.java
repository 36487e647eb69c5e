/**
 * The operator CLI ({@code deploy/bin/conveyor}): {@link dev.conveyor.cli.Conveyor} is the top
 * command and maps failures to exit codes, each command is a small class of its own, and {@link
 * dev.conveyor.cli.CliContext} opens what the commands need — configuration, pipelines, Redis,
 * PostgreSQL — on first use.
 */
package dev.conveyor.cli;
