-- One row the state store's health check rewrites: /observe/health is UP only while the state database can really
-- store (a write through the pool, with a timeout), not merely while a connection answers.
CREATE TABLE state_heartbeat (
    id      INT NOT NULL PRIMARY KEY,
    beat_at TIMESTAMP WITH TIME ZONE NOT NULL
);
INSERT INTO state_heartbeat (id, beat_at) VALUES (1, CURRENT_TIMESTAMP);
