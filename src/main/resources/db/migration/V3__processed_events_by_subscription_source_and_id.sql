-- Subscriptions replace the one dispatch queue, and an event is identified by source + id
-- (CloudEvents): two producers may use the same id. Rows written before this version have no
-- source (''): they keep protecting only what was in flight at the upgrade, and age out with the
-- retention window.
CREATE TABLE processed_events_v3 (
    subscription VARCHAR(64)  NOT NULL,
    event_source VARCHAR(256) NOT NULL,
    event_id     VARCHAR(128) NOT NULL,
    processed_at TIMESTAMP WITH TIME ZONE NOT NULL,
    withdrawn    BOOLEAN      NOT NULL DEFAULT FALSE,
    PRIMARY KEY (subscription, event_source, event_id)
);
INSERT INTO processed_events_v3 (subscription, event_source, event_id, processed_at, withdrawn)
SELECT processor, '', event_id, processed_at, withdrawn FROM processed_events;
DROP TABLE processed_events;
ALTER TABLE processed_events_v3 RENAME TO processed_events;
CREATE INDEX processed_events_by_time ON processed_events (processed_at);
