package io.shopevents.api;

import io.shopevents.event.CloudEvents;
import io.shopevents.store.ProcessedEvents;
import io.shopevents.subscription.SubscriptionRegistry;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessException;
import org.springframework.stereotype.Component;
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
        /** A subscription applied it: accepted after all. */
        APPLIED,
        /** No subscription will ever apply it: refused (503). */
        WITHDRAWN,
        /** It could not be withdrawn (database unreachable), or a retry under its key took it over: it may take effect. */
        UNKNOWN
    }

    private final ProcessedEvents processedEvents;
    private final SubscriptionRegistry subscriptions;
    private final IdempotencyKeys idempotencyKeys;
    private final TransactionTemplate transaction;

    public UnconfirmedEvents(ProcessedEvents processedEvents, SubscriptionRegistry subscriptions,
                             IdempotencyKeys idempotencyKeys, TransactionTemplate transaction) {
        this.processedEvents = processedEvents;
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
        } catch (DataAccessException e) {
            log.warn("event {} was not confirmed and cannot be withdrawn ({}); a copy that reached a queue"
                    + " may still be applied", eventId, e.getMessage());
            return Fate.UNKNOWN;
        }
        if (fate == Fate.APPLIED) {
            log.info("event {} was not confirmed ({}) but has been applied already: accepted", eventId, failure);
        } else if (fate == Fate.UNKNOWN) {
            log.warn("event {} was not confirmed ({}), and a retry under its Idempotency-Key has taken the call over:"
                    + " left to it", eventId, failure);
        }
        return fate;
    }

    /**
     * Route step before a keyed call that took over an abandoned one publishes: an event the first
     * run withdrew (its caller would have heard 503) is refused again, never published under its id,
     * which every subscription would skip as withdrawn.
     */
    public void refuseIfWithdrawn(@ExchangeProperty(CloudEvents.SOURCE_PROPERTY) String source,
                                  @ExchangeProperty(CloudEvents.ID_PROPERTY) String eventId, Exchange exchange) {
        if (isWithdrawnOnRetry(source, eventId, exchange)) {
            throw new NotAcceptedException("the broker did not confirm this event when the call was first made,"
                    + " so it was not accepted; send it again with a new Idempotency-Key");
        }
    }

    /** True for an event of a taken-over call that the first run withdrew. */
    public boolean isWithdrawnOnRetry(String source, String eventId, Exchange exchange) {
        return exchange.getProperty(IdempotencyKeys.TAKEOVER_PROPERTY, false, Boolean.class)
                && processedEvents.isWithdrawn(source, eventId);
    }
}
