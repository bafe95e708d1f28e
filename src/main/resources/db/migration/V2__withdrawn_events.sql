-- An event whose publication the broker did not confirm (its caller got 503) is withdrawn:
-- a row for every processor marks it as handled, so a copy that reached the queue after all
-- changes nothing.
ALTER TABLE processed_events ADD COLUMN withdrawn BOOLEAN NOT NULL DEFAULT FALSE;
