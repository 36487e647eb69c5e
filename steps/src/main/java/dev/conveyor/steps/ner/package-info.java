/**
 * The steps of the demo pipeline {@code ner} ({@code deploy/pipelines/ner.yaml}): company and
 * person names in text, delivered as rows of {@code conveyor.ner_entities}.
 *
 * <p>Per part, {@link dev.conveyor.steps.ner.CompanyRecognizer} and {@link
 * dev.conveyor.steps.ner.PersonRecognizer} run side by side, each giving {@code {"entities":
 * [{"kind", "surface", "start", "end"}]}}; {@link dev.conveyor.steps.ner.MergeEntities} joins the
 * two and resolves overlaps; once per task, {@link dev.conveyor.steps.ner.AssembleEntities} turns
 * every live part's entities into the sink's rows. All offsets are Unicode code points (not UTF-16
 * units) of the task's whole text: a part's {@code offset} plus the place in the part.
 *
 * <p>The recognisers are rules, not models: {@code CompanyRules} finds a legal form and walks back
 * over the name ({@code LatinCompanies}, {@code CjkCompanies}; word lists in {@code CompanyWords});
 * {@code PersonRules} starts at a first name from the {@code first_names} gazetteer and walks
 * forward over initials, particles and surnames (word lists in the resource {@code person_words},
 * {@code PersonWords}). {@code deploy/pipelines/steps/person.py} is the person rules again in
 * Python, for the {@code ner-py} pipeline, reading the same two files; a test keeps the two in
 * agreement.
 */
package dev.conveyor.steps.ner;
