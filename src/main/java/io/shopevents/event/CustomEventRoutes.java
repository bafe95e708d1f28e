package io.shopevents.event;

import org.apache.camel.CamelContext;
import org.apache.camel.Header;
import org.springframework.stereotype.Component;

/**
 * Where dispatch hands a custom event: the route an integrator wrote for its type, from
 * direct:event-&lt;type&gt;. Without one, the event cannot be processed and is dead-lettered at once.
 */
@Component("customEventRoutes")
public class CustomEventRoutes {

    private final CamelContext camel;

    public CustomEventRoutes(CamelContext camel) {
        this.camel = camel;
    }

    /** The endpoint for the event's type; fails, naming it, when no route consumes from it. */
    public String endpointFor(@Header("eventType") String type) {
        String uri = "direct:event-" + type;
        String normalized = "direct://event-" + type;
        // the routes change when route files are reloaded, so look each time (there are a few dozen)
        boolean routed = camel.getRoutes().stream().anyMatch(r -> normalized.equals(r.getEndpoint().getEndpointUri()));
        if (!routed) {
            throw new InvalidEventException("no route takes " + type + " events: add one from " + uri
                    + " under routes/ (see routes/order-shipped.yaml)");
        }
        return uri;
    }
}
