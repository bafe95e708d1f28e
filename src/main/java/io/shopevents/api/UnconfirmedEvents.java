package io.shopevents.api;

import io.shopevents.event.CloudEvents;
import io.shopevents.store.EventFates;
import io.shopevents.store.ProcessedEvents;
import io.shopevents.subscription.SubscriptionRegistry;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessException;
import org.springframework.stereotype.Component;
import org.springframework.transaction.TransactionException;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * An event the broker did not confirm may still have reached the queues (the connection dropped
 * after the broker took it, or the confirm came too late). Before its caller hears 503, the
 * event is withdrawn, so that such a copy changes nothing, now or in a replay from the archive; if
 * a subscription has applied it already, it is accepted after all.
 */
@Component("unconfirmedEvents")
public class UnconfirmedEvents {

    private static final Logger log = LoggerFactory.getLogger(UnconfirmedEvents.class);

    /** What became of an event whose publication was not confirmed. */
    public enum Fate {
        /** A subscription applied it, or a call carrying the same event was accepted: accepted after all. */
        APPLIED,
        /** No subscription will ever apply it: refused (503). */
        WITHDRAWN,
        /** It could not be withdrawn (database unreachable), or a retry under its key took it over: it may take effect. */
        UNKNOWN
    }

    /** Exchange property: the event's id is its producer's (a resend of it is the same event). */
    public static final String PRODUCER_ID_PROPERTY = "eventIdByProducer";
    static final String WITHDRAWN_MEANWHILE = "a call carrying the same event (source and id) was refused meanwhile,"
            + " so this one was not accepted either; send it again";

    private final ProcessedEvents processedEvents;
    private final EventFates fates;
    private final SubscriptionRegistry subscriptions;
    private final IdempotencyKeys idempotencyKeys;
    private final TransactionTemplate transaction;

    public UnconfirmedEvents(ProcessedEvents processedEvents, EventFates fates, SubscriptionRegistry subscriptions,
                             IdempotencyKeys idempotencyKeys, TransactionTemplate transaction) {
        this.processedEvents = processedEvents;
        this.fates = fates;
        this.subscriptions = subscriptions;
        this.idempotencyKeys = idempotencyKeys;
        this.transaction = transaction;
    }

    /** Route step after a failed publish: rethrows the failure once the event is withdrawn; returns normally if it was applied. */
    public void withdraw(@ExchangeProperty(CloudEvents.SOURCE_PROPERTY) String source,
                         @ExchangeProperty(CloudEvents.ID_PROPERTY) String eventId,
                         @ExchangeProperty(Exchange.EXCEPTION_CAUGHT) Exception failure, Exchange exchange) throws Exception {
        Fate fate = fateOf(source, eventId, failure.getMessage(), exchange);
        if (fate == Fate.APPLIED) {
            return;
        }
        if (fate == Fate.UNKNOWN) {
            exchange.setProperty(CloudEvents.PUBLISHED_PROPERTY, true);
        }
        throw failure;
    }

    /**
     * Withdraws the event for every subscription, and for any that a replay from the archive may
     * feed later. Waits for a subscription applying it right now.
     */
    public Fate fateOf(String source, String eventId, String failure, Exchange exchange) {
        Fate fate;
        try {
            fate = transaction.execute(status -> {
                if (!idempotencyKeys.stillOwned(exchange)) {
                    return Fate.UNKNOWN;
                }
                if (processedEvents.withdraw(source, eventId, subscriptions.names())) {
                    return Fate.WITHDRAWN;
                }
                status.setRollbackOnly();
                return Fate.APPLIED;
            });
        } catch (DataAccessException | TransactionException e) {
            // no transaction to begin (the database is down) as much as a failed statement
            log.warn("event {} was not confirmed and cannot be withdrawn ({}); a copy that reached a queue"
                    + " may still be applied", eventId, e.getMessage());
            return Fate.UNKNOWN;
        }
        if (fate == Fate.APPLIED) {
            log.info("event {} was not confirmed ({}) but has been applied or accepted already: accepted", eventId, failure);
        } else if (fate == Fate.UNKNOWN) {
            log.warn("event {} was not confirmed ({}), and a retry under its Idempotency-Key has taken the call over:"
                    + " left to it", eventId, failure);
        }
        return fate;
    }

    /**
     * Route step before an event is published. One whose id its producer chose may be a resend
     * after a 503: an earlier withdrawal of it is forgotten, so that it is applied once. One of
     * ours that the first run of a taken-over keyed call withdrew (its caller would have heard 503)
     * is refused again, never published under its id, which every subscription would skip.
     */
    public void beforePublish(@ExchangeProperty(CloudEvents.SOURCE_PROPERTY) String source,
                              @ExchangeProperty(CloudEvents.ID_PROPERTY) String eventId, Exchange exchange) {
        if (!mayPublish(source, eventId, exchange.getProperty(PRODUCER_ID_PROPERTY, false, Boolean.class), exchange)) {
            throw new NotAcceptedException("the broker did not confirm this event when the call was first made,"
                    + " so it was not accepted; send it again with a new Idempotency-Key");
        }
    }

    /** See {@link #beforePublish}; false if the event is refused. */
    public boolean mayPublish(String source, String eventId, boolean producerId, Exchange exchange) {
        if (producerId) {
            transaction.executeWithoutResult(status -> processedEvents.reopen(source, eventId));
            return true;
        }
        return !(exchange.getProperty(IdempotencyKeys.TAKEOVER_PROPERTY, false, Boolean.class)
                && processedEvents.isWithdrawn(source, eventId));
    }

    /**
     * Route step once the broker confirmed an event whose id its producer chose: it is accepted,
     * unless a call carrying the same event was refused meanwhile; then this one is refused too.
     */
    public void confirmed(@ExchangeProperty(CloudEvents.SOURCE_PROPERTY) String source,
                          @ExchangeProperty(CloudEvents.ID_PROPERTY) String eventId, Exchange exchange) {
        if (exchange.getProperty(PRODUCER_ID_PROPERTY, false, Boolean.class) && !accepted(source, eventId)) {
            throw new NotAcceptedException(WITHDRAWN_MEANWHILE);
        }
    }

    /** Records a confirmed event (its id the producer's) as accepted; false if a call withdrew it first. */
    public boolean accepted(String source, String eventId) {
        return Boolean.TRUE.equals(transaction.execute(status -> fates.accept(source, eventId)));
    }
}
