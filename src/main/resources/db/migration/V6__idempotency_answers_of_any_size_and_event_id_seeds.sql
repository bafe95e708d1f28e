-- An Idempotency-Key keeps whatever answer its call gave: a batch of 1,000 outcomes is far over
-- 4,000 characters (a kept answer that did not fit used to turn a published batch into a 500).
ALTER TABLE idempotency_keys ALTER COLUMN response SET DATA TYPE VARCHAR;
-- The seed of the event ids a keyed call publishes: a retry that takes over the claim of a call
-- that never answered (its process died) publishes the same ids again, which every subscription
-- then recognises, instead of new events.
ALTER TABLE idempotency_keys ADD COLUMN seed VARCHAR(36);
