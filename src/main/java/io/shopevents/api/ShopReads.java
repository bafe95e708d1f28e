package io.shopevents.api;

import io.shopevents.store.OrderView;
import io.shopevents.store.PaymentView;
import io.shopevents.store.ShopStore;
import org.springframework.stereotype.Component;

/** GET /api/orders/{id} and /api/payments/{id}: what the store holds, or 404. */
@Component("shopReads")
public class ShopReads {

    private final ShopStore store;

    public ShopReads(ShopStore store) {
        this.store = store;
    }

    public OrderView order(String orderId) {
        return store.order(orderId).orElseThrow(() -> new NotFoundException("no order with id '" + orderId + "'"));
    }

    public PaymentView payment(String paymentId) {
        return store.payment(paymentId).orElseThrow(() -> new NotFoundException("no payment with id '" + paymentId + "'"));
    }
}
