package io.shopevents.event;

import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * The ids of the events this service publishes. A call without an Idempotency-Key gets random
 * ones. A keyed call gets ids derived from its key's seed and the event's place in the call, so
 * that a retry that runs the call again (its first run died before answering) publishes the very
 * same events, which every subscription recognises (source + id) and applies once.
 */
public final class EventIds {

    /** The exchange property holding the seed of a keyed call; absent without a key. */
    public static final String SEED_PROPERTY = "eventIdSeed";

    private EventIds() {
    }

    /** The id of the index-th event of a call: derived from the seed if there is one, else random. */
    public static String of(String seed, int index) {
        if (seed == null) {
            return UUID.randomUUID().toString();
        }
        // a name-based UUID: the same seed and index give the same id on every run
        return UUID.nameUUIDFromBytes(("shop-events/" + seed + "/" + index).getBytes(StandardCharsets.UTF_8)).toString();
    }
}
