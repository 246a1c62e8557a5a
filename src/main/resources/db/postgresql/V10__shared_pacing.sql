-- Pacing shared by every bridge on this database (PostgreSQL only: with the embedded H2 state one bridge runs, and
-- its pacers stay in memory). Row ids are SHA-256 digests of the pacer's key (and rate), so no credential text is
-- stored here.

-- The token bucket of each pacer, kept by bucket4j's PostgreSQL proxy manager (SELECT ... FOR UPDATE on the row):
-- state is bucket4j's serialized bucket (NULL for the moment between its insert and its first write), expires_at
-- the epoch millisecond after which the bucket would be full again anyway, so the row may be deleted.
CREATE TABLE pacer_bucket (
    id          VARCHAR(64) NOT NULL PRIMARY KEY,
    state       BYTEA,
    expires_at  BIGINT
);

-- The latest instant a vendor said to hold off until (a 429, or a rate-limit reset header), per pacer: written by an
-- upsert that keeps the later instant, read by every bridge before it takes a permit.
CREATE TABLE pacer_pause (
    pacer_id      VARCHAR(64) NOT NULL PRIMARY KEY,
    paused_until  TIMESTAMP WITH TIME ZONE NOT NULL
);
