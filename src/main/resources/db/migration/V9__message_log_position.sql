-- The processor claims each messageId at a position of the intake log. When the same record is read again (a crash
-- after the database committed and before the destinations' logs did), the position matches and the event is emitted
-- again, with the marks the first pass gave it, rather than dropped as a duplicate of itself.
ALTER TABLE received_message ADD COLUMN log_position VARCHAR(100);
ALTER TABLE received_message ADD COLUMN marks VARCHAR(8000);
