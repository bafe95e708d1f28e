-- What every instance must agree on about a subscription, one row each (made when it first runs):
-- whether it is paused (and by whom, since when, why), and the streak of transient failures that
-- pauses it by itself (shop.subscriptions.pause). Read by every instance every second.
CREATE TABLE subscription_controls (
    subscription  VARCHAR(64)   PRIMARY KEY,
    paused_at     TIMESTAMP WITH TIME ZONE,
    paused_by     VARCHAR(16),
    pause_reason  VARCHAR(2000),
    failures      INTEGER       NOT NULL DEFAULT 0,
    failing_since TIMESTAMP WITH TIME ZONE,
    last_failure  VARCHAR(2000)
);

-- When a subscription's next delivery may start, by the database's clock, shared by every
-- instance: its rate limit books slots one interval apart (a batch books as many as it holds),
-- and a downstream's Retry-After moves it later for all of them.
CREATE TABLE subscription_paces (
    subscription VARCHAR(64) PRIMARY KEY,
    next_slot    TIMESTAMP WITH TIME ZONE NOT NULL
);

-- Every attempt of every webhook call a subscription made (signed-webhook:), kept for
-- shop.retention.delivery-log: written in the transaction of the batch it belongs to, outside the
-- event's own savepoint, so that a failed attempt is kept although its effects are undone. One
-- index, in the order rows come (a subscription's, by time): an index on the event id, random
-- in every batch, cost more than the rest of the log together (bench/README.md); a lookup by
-- event reads the subscription's rows in that index instead. id only orders rows of one instant.
CREATE TABLE delivery_attempts (
    id           BIGINT       NOT NULL,
    subscription VARCHAR(64)  NOT NULL,
    event_source VARCHAR(512) NOT NULL,
    event_id     VARCHAR(256) NOT NULL,
    event_type   VARCHAR(256) NOT NULL,
    attempt      INTEGER      NOT NULL,
    attempted_at TIMESTAMP WITH TIME ZONE NOT NULL,
    webhook      VARCHAR(64)  NOT NULL,
    status       INTEGER,
    outcome      VARCHAR(16)  NOT NULL,
    duration_ms  INTEGER      NOT NULL,
    response     VARCHAR(1000)
);
CREATE INDEX delivery_attempts_by_subscription ON delivery_attempts (subscription, attempted_at, id);

-- Operational events (shop.subscription.paused, shop.delivery.exhausted, ...) written in the
-- transaction of what they tell, then published to shop.events and deleted once the broker
-- confirmed them: none is lost with a crash in between. Their ids are derived from what they tell,
-- so one written twice is one row, and one published twice is applied once.
CREATE TABLE operational_events (
    event_id   VARCHAR(64)  PRIMARY KEY,
    event_type VARCHAR(64)  NOT NULL,
    body       VARCHAR      NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    claimed_at TIMESTAMP WITH TIME ZONE
);
