package io.shopevents.processor;

import io.shopevents.event.CloudEvent;
import io.shopevents.event.CloudEvents;
import io.shopevents.event.PaymentProcessed;
import io.shopevents.store.ShopStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * payment_processed: records the payment as PROCESSED, which counts towards its order. Runs inside
 * the subscription's transaction (routes/payment-status.camel.yaml).
 */
@Component("paymentStatus")
public class PaymentStatusProcessor {

    private static final Logger log = LoggerFactory.getLogger(PaymentStatusProcessor.class);

    private final CloudEvents cloudEvents;
    private final ShopStore store;

    public PaymentStatusProcessor(CloudEvents cloudEvents, ShopStore store) {
        this.cloudEvents = cloudEvents;
        this.store = store;
    }

    public void apply(CloudEvent event) {
        PaymentProcessed payment = cloudEvents.data(event, PaymentProcessed.class);
        if (store.recordPayment(payment)) {
            log.debug("payment {} of order {} processed (event {})", payment.paymentId(), payment.orderId(), event.id());
        } else {
            log.warn("payment {} is already recorded; event {} leaves it as it is", payment.paymentId(), event.id());
        }
    }
}
