-- One SQL for both databases: H2 runs in PostgreSQL mode (see application.yaml).

CREATE TABLE orders (
    order_id    VARCHAR(128)   PRIMARY KEY,
    user_id     VARCHAR(128)   NOT NULL,
    order_total NUMERIC(19, 4) NOT NULL,
    placed_at   TIMESTAMP WITH TIME ZONE NOT NULL
);

-- A payment may arrive before its order, so there is no foreign key to orders.
CREATE TABLE payments (
    payment_id     VARCHAR(128)   PRIMARY KEY,
    order_id       VARCHAR(128)   NOT NULL,
    payment_amount NUMERIC(19, 4) NOT NULL,
    processed_at   TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX payments_by_order ON payments (order_id);

-- The event ids each processor has applied: the key of its idempotency, written in the
-- same transaction as the processor's own change.
CREATE TABLE processed_events (
    processor    VARCHAR(64)  NOT NULL,
    event_id     VARCHAR(128) NOT NULL,
    processed_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (processor, event_id)
);
