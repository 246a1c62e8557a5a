-- Whether a person is above a named threshold (crossing:<name>), so a crossing fires once, not on every event.
CREATE TABLE threshold_crossing (
    name       VARCHAR(100) NOT NULL,
    person     VARCHAR(512) NOT NULL,
    above      BOOLEAN      NOT NULL,
    changed_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (name, person)
);
