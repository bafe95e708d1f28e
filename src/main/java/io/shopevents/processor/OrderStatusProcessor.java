package io.shopevents.processor;

import io.shopevents.event.CloudEvent;
import io.shopevents.event.CloudEvents;
import io.shopevents.event.OrderPlaced;
import io.shopevents.store.ProcessedEvents;
import io.shopevents.store.ShopStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/** order_placed: records the order with status PLACED. */
@Component("orderStatus")
public class OrderStatusProcessor {

    static final String NAME = "order-status";
    private static final Logger log = LoggerFactory.getLogger(OrderStatusProcessor.class);

    private final CloudEvents cloudEvents;
    private final ProcessedEvents processedEvents;
    private final ShopStore store;

    public OrderStatusProcessor(CloudEvents cloudEvents, ProcessedEvents processedEvents, ShopStore store) {
        this.cloudEvents = cloudEvents;
        this.processedEvents = processedEvents;
        this.store = store;
        processedEvents.register(NAME);
    }

    public void apply(CloudEvent event) {
        OrderPlaced order = cloudEvents.data(event, OrderPlaced.class);
        ProcessedEvents.Outcome outcome = processedEvents.once(NAME, event.id(), () -> {
            if (!store.placeOrder(order)) {
                log.warn("order {} is already recorded; event {} leaves it as it is", order.orderId(), event.id());
            }
        });
        if (outcome == ProcessedEvents.Outcome.APPLIED) {
            log.debug("order {} placed (event {})", order.orderId(), event.id());
        } else {
            log.info("event {} {}; order {} unchanged", event.id(), outcome, order.orderId());
        }
    }
}
