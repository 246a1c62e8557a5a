-- An event's marks (where it went, its consent signal, its person's previous key) move out of the message ledger into
-- a table of their own, beside the hashes of the identifiers of the person the event is about (the hashes tombstones
-- use). An erasure then removes the marks about its person within its own transaction, instead of leaving a previous
-- email in the ledger until the dedupe window purges it; finding them by the hashes needs no scan of the ledger. Few
-- events have marks, so both tables stay small.
CREATE TABLE message_mark (
    message_id   VARCHAR(100)  NOT NULL PRIMARY KEY,
    log_position VARCHAR(100)  NOT NULL,  -- the claim's: marks of an id claimed again at another position are stale
    marks        VARCHAR(8000) NOT NULL,
    recorded_at  TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX message_mark_recorded_at ON message_mark (recorded_at);

CREATE TABLE message_mark_person (
    identifier_hash VARCHAR(64)  NOT NULL,
    message_id      VARCHAR(100) NOT NULL,
    PRIMARY KEY (identifier_hash, message_id)
);
CREATE INDEX message_mark_person_message ON message_mark_person (message_id);

-- Marks recorded before this migration keep their replay; they have no person rows, and the purge takes them within
-- the dedupe window.
INSERT INTO message_mark (message_id, log_position, marks, recorded_at)
    SELECT message_id, log_position, marks, received_at FROM received_message
    WHERE marks IS NOT NULL AND log_position IS NOT NULL;
ALTER TABLE received_message DROP COLUMN marks;
