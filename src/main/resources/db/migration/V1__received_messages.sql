-- Every messageId the intake stored, so a resent event is acknowledged without being stored twice.
CREATE TABLE received_message (
    message_id  VARCHAR(100) NOT NULL PRIMARY KEY,
    received_at TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX received_message_received_at ON received_message (received_at);
