-- Which bridge runs a job that must run on one instance at a time when several bridges share this database (the
-- Emarsys opt-in feed): the holder renews its lease on every run; another instance takes the job over only once the
-- lease has expired (its holder stopped or died).
CREATE TABLE job_lease (
    job         VARCHAR(200) NOT NULL PRIMARY KEY,
    holder      VARCHAR(200) NOT NULL,
    expires_at  TIMESTAMP WITH TIME ZONE NOT NULL
);
