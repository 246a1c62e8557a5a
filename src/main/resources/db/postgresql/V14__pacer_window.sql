-- The pacers' sliding windows (of completions) replace their token buckets: a request may start only once the
-- request N places before it ended a period ago (see RequestPacer). Times are microseconds of the database's clock,
-- so the bridges' own clocks play no part. Row ids are SHA-256 digests of the pacer's key and rate, as before.
DROP TABLE pacer_bucket;

-- One row per pacer: the number of its next request, whose slot is next_request mod N. Locked (SELECT ... FOR
-- UPDATE) by every take, so slots are handed out one at a time.
CREATE TABLE pacer_window (
    id            VARCHAR(64) NOT NULL PRIMARY KEY,
    next_request  BIGINT NOT NULL
);

-- The last N requests of each pacer, one row per slot: the request holding it, when it ended (NULL while in flight)
-- and the latest it may end (its start plus the longest a request may take), after which it counts as ended.
CREATE TABLE pacer_slot (
    pacer_id  VARCHAR(64) NOT NULL REFERENCES pacer_window (id) ON DELETE CASCADE,
    slot      INTEGER NOT NULL,
    request   BIGINT NOT NULL,
    ended_at  BIGINT,
    ends_by   BIGINT NOT NULL,
    PRIMARY KEY (pacer_id, slot)
);
