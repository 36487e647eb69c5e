/**
 * JSON as Conveyor reads and stores what producers and steps send: numbers read exactly ({@link
 * ExactJson}), what PostgreSQL cannot hold found before it fails a write ({@link
 * UnstorableContent}), and text and JSON made storable whatever they hold ({@link SafeText}, {@link
 * StoredJson}).
 */
package dev.conveyor.common.json;
