-- How far a backfill job has durably queued what it read: the next run starts here. One row per job (the scheduled
-- Emarsys backfill, and each date range run from the command line), moved only after a window's events are queued.
CREATE TABLE backfill_checkpoint (
    job        VARCHAR(200) NOT NULL PRIMARY KEY,
    done_until TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL
);
