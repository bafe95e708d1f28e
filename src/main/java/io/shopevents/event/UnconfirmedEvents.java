package io.shopevents.event;

import io.shopevents.store.ProcessedEvents;
import io.shopevents.subscription.SubscriptionRegistry;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessException;
import org.springframework.stereotype.Component;

/**
 * An event the broker did not confirm may still have reached the queues (the connection dropped
 * after the broker took it, or the confirm came too late). Before its caller hears 503, the
 * event is withdrawn for every subscription, so that such a copy changes nothing; if one has
 * applied it already, it is accepted after all.
 */
@Component("unconfirmedEvents")
public class UnconfirmedEvents {

    private static final Logger log = LoggerFactory.getLogger(UnconfirmedEvents.class);

    private final ProcessedEvents processedEvents;
    private final SubscriptionRegistry subscriptions;

    public UnconfirmedEvents(ProcessedEvents processedEvents, SubscriptionRegistry subscriptions) {
        this.processedEvents = processedEvents;
        this.subscriptions = subscriptions;
    }

    /** Rethrows the publish failure once the event is withdrawn; returns normally if it was applied. */
    public void withdraw(@ExchangeProperty(CloudEvents.SOURCE_PROPERTY) String source,
                         @ExchangeProperty(CloudEvents.ID_PROPERTY) String eventId,
                         @ExchangeProperty(Exchange.EXCEPTION_CAUGHT) Exception failure) throws Exception {
        if (!isAppliedAfterAll(source, eventId, failure.getMessage())) {
            throw failure;
        }
    }

    /**
     * Withdraws the event for every subscription; true if one had applied it already (it is
     * accepted after all), false if it is withdrawn, or could not be (its caller hears 503).
     */
    public boolean isAppliedAfterAll(String source, String eventId, String failure) {
        boolean withdrawn;
        try {
            withdrawn = processedEvents.withdraw(source, eventId, subscriptions.names());
        } catch (DataAccessException e) {
            log.warn("event {} was not confirmed and cannot be withdrawn ({}); a copy that reached a queue"
                    + " may still be applied", eventId, e.getMessage());
            return false;
        }
        if (!withdrawn) {
            log.info("event {} was not confirmed ({}) but has been applied already: accepted", eventId, failure);
        }
        return !withdrawn;
    }
}
