-- Results of the example pipeline "echo" (deploy/pipelines/echo.yaml): one row per part with the
-- payload's text. The smallest real pipeline: the smoke test and the one-step benchmark use it.
CREATE TABLE echo_rows (
    task_id text NOT NULL,
    part    int  NOT NULL,
    text    text,
    PRIMARY KEY (task_id, part)
);
