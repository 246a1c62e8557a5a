-- Several bridges may share this database, and each keeps the tombstones in memory (every event is checked against
-- them). To see another bridge's erasures within a second, a bridge reads again, every few hundred milliseconds, only
-- the tombstones past the last seq it saw. An erasure takes its seq from the one counter row below, inside its own
-- transaction: the row lock makes erasures commit one after another, in seq order, so a tombstone never becomes
-- visible behind a higher seq a bridge has already read (an identity column would: its values are handed out at
-- insert, not at commit). Tombstones written before this migration have seq 0 and are read at a bridge's start.
ALTER TABLE privacy_tombstone ADD COLUMN seq BIGINT DEFAULT 0 NOT NULL;
CREATE INDEX privacy_tombstone_seq ON privacy_tombstone (seq);
CREATE TABLE privacy_tombstone_counter (
    id       INT    NOT NULL PRIMARY KEY,
    last_seq BIGINT NOT NULL
);
INSERT INTO privacy_tombstone_counter (id, last_seq) VALUES (1, 0);
