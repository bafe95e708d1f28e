-- What was decided about an event whose id a producer chose (CloudEvents' source + id): ACCEPTED
-- once the broker confirmed it and its caller heard 202, WITHDRAWN once its caller heard 503. One
-- row per event, so the two decisions exclude each other: a resend that the broker does not
-- confirm cannot withdraw a copy already accepted, and a resend of a withdrawn event reopens it.
-- Events with ids of our own are only ever withdrawn. Withdrawn events move here from
-- withdrawn_events, which this table replaces.
CREATE TABLE event_fates (
    event_source VARCHAR(512) NOT NULL,
    event_id     VARCHAR(256) NOT NULL,
    fate         VARCHAR(16)  NOT NULL,
    decided_at   TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (event_source, event_id)
);
INSERT INTO event_fates (event_source, event_id, fate, decided_at)
SELECT event_source, event_id, 'WITHDRAWN', withdrawn_at FROM withdrawn_events;
DROP TABLE withdrawn_events;
CREATE INDEX event_fates_by_time ON event_fates (fate, decided_at);
