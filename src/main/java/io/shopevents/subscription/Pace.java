package io.shopevents.subscription;

import io.shopevents.store.SubscriptionPaces;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.locks.LockSupport;

/**
 * When a subscription's next delivery may start. With a rate limit, each delivery books the next
 * free slot in the schedule every instance shares ({@link SubscriptionPaces}), just before it
 * starts: deliveries start one interval apart, whoever makes them. Without one, only a
 * downstream's Retry-After (heard here, or by another instance and read by the control poll)
 * makes it wait. A wait longer than shop.subscriptions.longest-hold is not waited for here: the
 * messages go back to the broker and wait there.
 */
final class Pace {

    private static final Duration MOST_LATE = Duration.ofMillis(10);

    private final String subscription;
    private final RateLimit limit;
    private final SubscriptionPaces paces;
    private final Duration longestHold;
    /** No delivery before this: a downstream's Retry-After heard here and not yet shared; null: none. */
    private Instant heardHere;
    /** ... and as the shared schedule has it (shared from here, or read by the control poll); null: none. */
    private Instant shared;
    /** When this instance last changed the shared schedule (System.nanoTime()): a poll read before is out of date. */
    private long sharedAt = System.nanoTime();

    Pace(String subscription, RateLimit limit, SubscriptionPaces paces, Duration longestHold) {
        this.subscription = subscription;
        this.limit = limit;
        this.paces = paces;
        this.longestHold = longestHold;
    }

    /**
     * Waits for the next turn of one delivery: with a rate limit, the next free slot in the shared
     * schedule, booked for it; without, the end of a downstream's Retry-After. The turn, now; or
     * the wait, longer than a consumer holds messages, that the caller must spend elsewhere.
     */
    Turn awaitTurn() {
        if (limit == null) {
            Duration delay = heldBack();
            if (delay.compareTo(longestHold) > 0) {
                return Turn.elsewhere(delay);
            }
            return sleepUntil(System.nanoTime() + delay.toNanos()) ? Turn.NOW : Turn.elsewhere(Duration.ZERO);
        }
        SubscriptionPaces.Booking booking = paces.book(subscription, 1, limit.interval(), longestHold);
        if (!booking.booked()) {
            return Turn.elsewhere(booking.delay());
        }
        Turn turn = new Turn(this, System.nanoTime() + booking.delay().toNanos());
        return sleepUntil(turn.due) ? turn : Turn.elsewhere(Duration.ZERO);
    }

    /**
     * Just before a call: a call later than a little after its slot (a first call warming up, a
     * pause of the JVM), or a second call of the same delivery, books another slot and waits for
     * it, so that no two calls start closer than the pace allows.
     */
    void beforeCall(Turn turn) {
        if (limit == null) {
            return;
        }
        long late = System.nanoTime() - turn.due;
        if (turn.taken || late > tolerance().toNanos()) {
            SubscriptionPaces.Booking booking = paces.book(subscription, 1, limit.interval(), Duration.ofDays(1));
            turn.due = System.nanoTime() + booking.delay().toNanos();
            sleepUntil(turn.due);
        }
        turn.taken = true;
    }

    /** How late a call may start after its slot: a tenth of the interval, at most 10 ms. */
    private Duration tolerance() {
        Duration tenth = limit.interval().dividedBy(10);
        return tenth.compareTo(MOST_LATE) < 0 ? tenth : MOST_LATE;
    }

    /** The downstream asked for this long without calls: on this instance at once (before its next call). */
    synchronized void asked(Duration wait) {
        heardHere = later(heardHere, Instant.now().plus(wait));
    }

    /**
     * ... and for every instance, through the shared schedule (after the batch that heard it).
     * From then on the schedule holds it, so that a resume anywhere ends it here too.
     */
    void share(Duration wait) {
        Instant until = Instant.now().plus(wait);
        paces.notBefore(subscription, wait);
        synchronized (this) {
            if (limit == null) {
                shared = later(shared, until);
            }
            // a rate-limited subscription books its slots from the schedule, which holds the wait
            if (heardHere != null && !heardHere.isAfter(until)) {
                heardHere = null;
            }
            sharedAt = System.nanoTime();
        }
    }

    /** An operator resumed the subscription: no downstream's wait holds it back any more, on any instance. */
    void endWait() {
        paces.endWait(subscription, limit == null ? Duration.ZERO : longestHold);
        synchronized (this) {
            heardHere = null;
            shared = null;
            sharedAt = System.nanoTime();
        }
    }

    /** How long a downstream's Retry-After still holds every call back; zero when it does not. */
    synchronized Duration heldBack() {
        Instant until = later(heardHere, shared);
        Instant now = Instant.now();
        return until == null || !until.isAfter(now) ? Duration.ZERO : Duration.between(now, until);
    }

    Duration longestHold() {
        return longestHold;
    }

    /**
     * The shared schedule's next slot lies this far ahead (null: not ahead), as the control poll
     * read it at {@code readAt} (System.nanoTime()). It may end a wait (an operator's resume on
     * another instance), unless this instance changed the schedule since the poll read it.
     */
    synchronized void ahead(Duration ahead, long readAt) {
        if (limit != null) {
            return; // its bookings read the schedule
        }
        Instant until = ahead == null || ahead.isNegative() ? null : Instant.now().plus(ahead);
        shared = readAt - sharedAt < 0 ? later(shared, until) : until;
    }

    private static Instant later(Instant a, Instant b) {
        return a == null ? b : b == null || a.isAfter(b) ? a : b;
    }

    RateLimit limit() {
        return limit;
    }

    /** Sleeps until {@code nanos} (System.nanoTime()); false if interrupted. */
    static boolean sleepUntil(long nanos) {
        long left;
        while ((left = nanos - System.nanoTime()) > 0) {
            LockSupport.parkNanos(left);
            if (Thread.currentThread().isInterrupted()) {
                return false;
            }
        }
        return true;
    }
}
