package io.shopevents.processor;

import io.shopevents.event.CloudEvent;
import io.shopevents.event.CloudEvents;
import io.shopevents.event.PaymentProcessed;
import io.shopevents.store.ProcessedEvents;
import io.shopevents.store.ShopStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/** payment_processed: records the payment as PROCESSED, which marks its order PAID. */
@Component("paymentStatus")
public class PaymentStatusProcessor {

    static final String NAME = "payment-status";
    private static final Logger log = LoggerFactory.getLogger(PaymentStatusProcessor.class);

    private final CloudEvents cloudEvents;
    private final ProcessedEvents processedEvents;
    private final ShopStore store;

    public PaymentStatusProcessor(CloudEvents cloudEvents, ProcessedEvents processedEvents, ShopStore store) {
        this.cloudEvents = cloudEvents;
        this.processedEvents = processedEvents;
        this.store = store;
        processedEvents.register(NAME);
    }

    public void apply(CloudEvent event) {
        PaymentProcessed payment = cloudEvents.data(event, PaymentProcessed.class);
        ProcessedEvents.Outcome outcome = processedEvents.once(NAME, event.id(), () -> {
            if (!store.recordPayment(payment)) {
                log.warn("payment {} is already recorded; event {} leaves it as it is", payment.paymentId(), event.id());
            }
        });
        if (outcome == ProcessedEvents.Outcome.APPLIED) {
            log.debug("payment {} of order {} processed (event {})", payment.paymentId(), payment.orderId(), event.id());
        } else {
            log.info("event {} {}; payment {} unchanged", event.id(), outcome, payment.paymentId());
        }
    }
}
