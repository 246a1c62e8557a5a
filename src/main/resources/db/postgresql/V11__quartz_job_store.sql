-- Quartz's clustered job store (JobStoreTX with PostgreSQLDelegate, table prefix qrtz_), used when the state is on
-- PostgreSQL: the bridges sharing this database keep their schedules here, so a scheduled route fires on one of them
-- only, and another takes it over when one is lost (see state.ClusteredScheduler). PostgreSQL only: on the embedded H2
-- file one bridge runs alone and Quartz keeps its schedules in memory.
--
-- Written from the statements Quartz 2.5 issues (StdJDBCConstants, the trigger persistence delegates): its SQL names
-- the tables in upper case without quotes, which PostgreSQL folds to these lower-case names. Every row belongs to one
-- scheduler (sched_name, the bridge's scheduler name); times are epoch milliseconds; job data is bytes (with
-- useProperties, a properties text rather than a serialised object); flags are booleans, as the delegate reads them.

-- A job: the class Quartz instantiates (Camel's CamelJob) and its data (the Camel context and endpoint it belongs to).
CREATE TABLE qrtz_job_details (
    sched_name        TEXT    NOT NULL,
    job_name          TEXT    NOT NULL,
    job_group         TEXT    NOT NULL,
    description       TEXT,
    job_class_name    TEXT    NOT NULL,
    is_durable        BOOLEAN NOT NULL,
    is_nonconcurrent  BOOLEAN NOT NULL,
    is_update_data    BOOLEAN NOT NULL,
    requests_recovery BOOLEAN NOT NULL,
    job_data          BYTEA,
    CONSTRAINT qrtz_job_details_pk PRIMARY KEY (sched_name, job_name, job_group)
);

-- A trigger of a job: its state (WAITING, ACQUIRED by an instance, EXECUTING, BLOCKED, PAUSED, ...) and next firing.
CREATE TABLE qrtz_triggers (
    sched_name     TEXT    NOT NULL,
    trigger_name   TEXT    NOT NULL,
    trigger_group  TEXT    NOT NULL,
    job_name       TEXT    NOT NULL,
    job_group      TEXT    NOT NULL,
    description    TEXT,
    next_fire_time BIGINT,
    prev_fire_time BIGINT,
    priority       INTEGER,
    trigger_state  TEXT    NOT NULL,
    trigger_type   TEXT    NOT NULL,
    start_time     BIGINT  NOT NULL,
    end_time       BIGINT,
    calendar_name  TEXT,
    misfire_instr  INTEGER,
    job_data       BYTEA,
    CONSTRAINT qrtz_triggers_pk PRIMARY KEY (sched_name, trigger_name, trigger_group),
    CONSTRAINT qrtz_triggers_job_fk FOREIGN KEY (sched_name, job_name, job_group)
        REFERENCES qrtz_job_details (sched_name, job_name, job_group)
);
-- What every instance asks every few seconds: the waiting triggers due soonest (and the misfired ones).
CREATE INDEX qrtz_triggers_due ON qrtz_triggers (sched_name, trigger_state, next_fire_time);
CREATE INDEX qrtz_triggers_job ON qrtz_triggers (sched_name, job_name, job_group);

-- The schedule of each kind of trigger, one row beside its qrtz_triggers row.
CREATE TABLE qrtz_cron_triggers (
    sched_name      TEXT NOT NULL,
    trigger_name    TEXT NOT NULL,
    trigger_group   TEXT NOT NULL,
    cron_expression TEXT NOT NULL,
    time_zone_id    TEXT,
    CONSTRAINT qrtz_cron_triggers_pk PRIMARY KEY (sched_name, trigger_name, trigger_group),
    CONSTRAINT qrtz_cron_triggers_trigger_fk FOREIGN KEY (sched_name, trigger_name, trigger_group)
        REFERENCES qrtz_triggers (sched_name, trigger_name, trigger_group)
);

CREATE TABLE qrtz_simple_triggers (
    sched_name      TEXT    NOT NULL,
    trigger_name    TEXT    NOT NULL,
    trigger_group   TEXT    NOT NULL,
    repeat_count    INTEGER NOT NULL,
    repeat_interval BIGINT  NOT NULL,
    times_triggered INTEGER NOT NULL,
    CONSTRAINT qrtz_simple_triggers_pk PRIMARY KEY (sched_name, trigger_name, trigger_group),
    CONSTRAINT qrtz_simple_triggers_trigger_fk FOREIGN KEY (sched_name, trigger_name, trigger_group)
        REFERENCES qrtz_triggers (sched_name, trigger_name, trigger_group)
);

-- Calendar-interval and daily-time-interval triggers keep their settings in these generic columns.
CREATE TABLE qrtz_simprop_triggers (
    sched_name    TEXT NOT NULL,
    trigger_name  TEXT NOT NULL,
    trigger_group TEXT NOT NULL,
    str_prop_1    TEXT,
    str_prop_2    TEXT,
    str_prop_3    TEXT,
    int_prop_1    INTEGER,
    int_prop_2    INTEGER,
    long_prop_1   BIGINT,
    long_prop_2   BIGINT,
    dec_prop_1    NUMERIC,
    dec_prop_2    NUMERIC,
    bool_prop_1   BOOLEAN,
    bool_prop_2   BOOLEAN,
    CONSTRAINT qrtz_simprop_triggers_pk PRIMARY KEY (sched_name, trigger_name, trigger_group),
    CONSTRAINT qrtz_simprop_triggers_trigger_fk FOREIGN KEY (sched_name, trigger_name, trigger_group)
        REFERENCES qrtz_triggers (sched_name, trigger_name, trigger_group)
);

-- Any other kind of trigger, serialised.
CREATE TABLE qrtz_blob_triggers (
    sched_name    TEXT NOT NULL,
    trigger_name  TEXT NOT NULL,
    trigger_group TEXT NOT NULL,
    blob_data     BYTEA,
    CONSTRAINT qrtz_blob_triggers_pk PRIMARY KEY (sched_name, trigger_name, trigger_group),
    CONSTRAINT qrtz_blob_triggers_trigger_fk FOREIGN KEY (sched_name, trigger_name, trigger_group)
        REFERENCES qrtz_triggers (sched_name, trigger_name, trigger_group)
);

CREATE TABLE qrtz_calendars (
    sched_name    TEXT  NOT NULL,
    calendar_name TEXT  NOT NULL,
    calendar      BYTEA NOT NULL,
    CONSTRAINT qrtz_calendars_pk PRIMARY KEY (sched_name, calendar_name)
);

CREATE TABLE qrtz_paused_trigger_grps (
    sched_name    TEXT NOT NULL,
    trigger_group TEXT NOT NULL,
    CONSTRAINT qrtz_paused_trigger_grps_pk PRIMARY KEY (sched_name, trigger_group)
);

-- A firing in progress, and which instance holds it: what another instance recovers when that one stops checking in.
CREATE TABLE qrtz_fired_triggers (
    sched_name        TEXT    NOT NULL,
    entry_id          TEXT    NOT NULL,
    trigger_name      TEXT    NOT NULL,
    trigger_group     TEXT    NOT NULL,
    instance_name     TEXT    NOT NULL,
    fired_time        BIGINT  NOT NULL,
    sched_time        BIGINT  NOT NULL,
    priority          INTEGER NOT NULL,
    state             TEXT    NOT NULL,
    job_name          TEXT,
    job_group         TEXT,
    is_nonconcurrent  BOOLEAN,
    requests_recovery BOOLEAN,
    CONSTRAINT qrtz_fired_triggers_pk PRIMARY KEY (sched_name, entry_id)
);
CREATE INDEX qrtz_fired_triggers_instance ON qrtz_fired_triggers (sched_name, instance_name);
CREATE INDEX qrtz_fired_triggers_job ON qrtz_fired_triggers (sched_name, job_name, job_group);
CREATE INDEX qrtz_fired_triggers_trigger ON qrtz_fired_triggers (sched_name, trigger_name, trigger_group);

-- Each instance's last check-in: one that has not checked in for its interval (and a grace) counts as lost.
CREATE TABLE qrtz_scheduler_state (
    sched_name        TEXT   NOT NULL,
    instance_name     TEXT   NOT NULL,
    last_checkin_time BIGINT NOT NULL,
    checkin_interval  BIGINT NOT NULL,
    CONSTRAINT qrtz_scheduler_state_pk PRIMARY KEY (sched_name, instance_name)
);

-- The rows the instances lock (SELECT ... FOR UPDATE) around changes to triggers and to the cluster; Quartz inserts
-- a lock's row the first time it needs it.
CREATE TABLE qrtz_locks (
    sched_name TEXT NOT NULL,
    lock_name  TEXT NOT NULL,
    CONSTRAINT qrtz_locks_pk PRIMARY KEY (sched_name, lock_name)
);
