-- The source base the events of a keyed call were published under: a retry that takes over a call
-- that never answered publishes its events again under the same source and id, though it runs on
-- another instance (each names its own source unless shop.events.source-base is set) or on a
-- restarted one listening on another port. Without it, a new source made them new events.
ALTER TABLE idempotency_keys ADD COLUMN source_base VARCHAR(512);
