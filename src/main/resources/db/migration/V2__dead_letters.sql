-- Deliveries a destination gave up on, with the vendor's answer, for operators to list, replay or discard.
CREATE TABLE dead_letter (
    id          VARCHAR(36)   NOT NULL PRIMARY KEY,
    destination VARCHAR(100)  NOT NULL,
    action      VARCHAR(100)  NOT NULL,
    message_id  VARCHAR(100),
    event       VARCHAR(1000000) NOT NULL,
    item        VARCHAR(1000000),
    attempts    INT           NOT NULL,
    status      INT           NOT NULL,
    code        VARCHAR(100),
    reason      VARCHAR(4000) NOT NULL,
    created_at  TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX dead_letter_destination ON dead_letter (destination, created_at);
