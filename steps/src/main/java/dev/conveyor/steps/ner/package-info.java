/** The recognisers of the demo pipeline {@code ner}: company and person names in text. */
package dev.conveyor.steps.ner;
