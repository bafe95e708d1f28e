package io.shopevents.processor;

import io.shopevents.event.CloudEvent;
import io.shopevents.event.CloudEvents;
import io.shopevents.event.OrderPlaced;
import io.shopevents.store.ShopStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * order_placed: records the order with status PLACED. Runs inside the subscription's transaction,
 * which also records the event as applied (routes/order-status.camel.yaml).
 */
@Component("orderStatus")
public class OrderStatusProcessor {

    private static final Logger log = LoggerFactory.getLogger(OrderStatusProcessor.class);

    private final CloudEvents cloudEvents;
    private final ShopStore store;

    public OrderStatusProcessor(CloudEvents cloudEvents, ShopStore store) {
        this.cloudEvents = cloudEvents;
        this.store = store;
    }

    public void apply(CloudEvent event) {
        OrderPlaced order = cloudEvents.data(event, OrderPlaced.class);
        if (store.placeOrder(order)) {
            log.debug("order {} placed (event {})", order.orderId(), event.id());
        } else {
            log.warn("order {} is already recorded; event {} leaves it as it is", order.orderId(), event.id());
        }
    }
}
