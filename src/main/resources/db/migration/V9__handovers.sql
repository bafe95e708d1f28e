-- A mail (or any send that cannot be taken back) being handed to its server: written and
-- committed before the send, deleted with the claim of its event. One still here when the event
-- comes again means the service stopped while the server had it (SIGTERM past the shutdown
-- timeout, a crash): it may have been delivered, so the event is dead-lettered as in doubt, never
-- sent again blindly. A replay of that dead letter (replays + 1) is a send of its own.
CREATE TABLE handovers (
    purpose      VARCHAR(64)  NOT NULL,
    event_source VARCHAR(512) NOT NULL,
    event_id     VARCHAR(256) NOT NULL,
    replays      INTEGER      NOT NULL,
    started_at   TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (purpose, event_source, event_id, replays)
);
CREATE INDEX handovers_by_time ON handovers (started_at);
