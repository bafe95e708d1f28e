-- Idempotency-Key (IETF httpapi draft) on every POST: the first call with a key claims it; its
-- answer is kept, and a retry with the same key and body gets that answer again instead of a
-- second event. Keyed per caller (API key name), so two callers cannot collide.
CREATE TABLE idempotency_keys (
    caller        VARCHAR(128)  NOT NULL,
    idem_key      VARCHAR(255)  NOT NULL,
    request_hash  VARCHAR(64)   NOT NULL,
    claim         VARCHAR(36)   NOT NULL,
    status        INTEGER,
    response      VARCHAR(4000),
    claimed_at    TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (caller, idem_key)
);
CREATE INDEX idempotency_keys_by_time ON idempotency_keys (claimed_at);
