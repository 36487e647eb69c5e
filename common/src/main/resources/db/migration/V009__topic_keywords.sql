-- Results of the example pipeline "topics" (deploy/pipelines/topics.yaml): the top keywords of
-- each part of a text, ranked by TF-IDF against the lexicon learnt on the machine. The primary
-- key is the natural key (a part's rank): redelivery cannot duplicate a row.
CREATE TABLE topic_keywords (
    task_id text          NOT NULL,
    part    int           NOT NULL,
    rank    int           NOT NULL CHECK (rank >= 1),
    word    text          NOT NULL,
    hits    int           NOT NULL CHECK (hits >= 1),
    score   numeric(14,6) NOT NULL,
    PRIMARY KEY (task_id, part, rank)
);
