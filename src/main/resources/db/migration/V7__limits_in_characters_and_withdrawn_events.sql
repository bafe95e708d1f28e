-- Limits are counted in characters (Unicode code points, as JSON Schema counts them) at the edge
-- and in every subscription. H2 counts a VARCHAR's length in UTF-16 units, where a character
-- outside the Basic Multilingual Plane (an emoji) takes two: each column holds twice its limit in
-- characters, so that every id the edge accepts fits here too. (PostgreSQL counts characters.)
ALTER TABLE orders ALTER COLUMN order_id SET DATA TYPE VARCHAR(256);
ALTER TABLE orders ALTER COLUMN user_id SET DATA TYPE VARCHAR(256);
ALTER TABLE payments ALTER COLUMN payment_id SET DATA TYPE VARCHAR(256);
ALTER TABLE payments ALTER COLUMN order_id SET DATA TYPE VARCHAR(256);
ALTER TABLE processed_events ALTER COLUMN event_source SET DATA TYPE VARCHAR(512);
ALTER TABLE processed_events ALTER COLUMN event_id SET DATA TYPE VARCHAR(256);

-- Events whose publication the broker did not confirm and that were withdrawn (their callers
-- heard 503), whatever subscription exists now or later: a replay from the archive skips them, so
-- a subscription added afterwards never applies what was refused.
CREATE TABLE withdrawn_events (
    event_source VARCHAR(512) NOT NULL,
    event_id     VARCHAR(256) NOT NULL,
    withdrawn_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (event_source, event_id)
);
CREATE INDEX withdrawn_events_by_time ON withdrawn_events (withdrawn_at);
