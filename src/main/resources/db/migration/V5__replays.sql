-- Replays of archived events into one subscription (POST /api/subscriptions/{name}/replay): each
-- is a job run by the instance that took the call; any instance can show its progress.
CREATE TABLE replays (
    id            VARCHAR(36)   PRIMARY KEY,
    subscription  VARCHAR(64)   NOT NULL,
    from_time     TIMESTAMP WITH TIME ZONE NOT NULL,
    to_time       TIMESTAMP WITH TIME ZONE NOT NULL,
    types         VARCHAR(2000) NOT NULL,
    status        VARCHAR(16)   NOT NULL,
    sent          BIGINT        NOT NULL DEFAULT 0,
    skipped       BIGINT        NOT NULL DEFAULT 0,
    note          VARCHAR(1000),
    started_at    TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at    TIMESTAMP WITH TIME ZONE NOT NULL,
    finished_at   TIMESTAMP WITH TIME ZONE
);
CREATE INDEX replays_by_subscription ON replays (subscription, started_at);
