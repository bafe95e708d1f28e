package io.shopevents.event;

import org.apache.camel.Exchange;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.web.context.WebServerInitializedEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.stereotype.Component;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;

/**
 * The CloudEvents {@code source} of the events this service publishes: an absolute URI naming the
 * API that took them, {@code <base>/orders}, {@code <base>/users}, {@code <base>/payments},
 * {@code <base>/events/<type>}. The base is shop.events.source-base (SHOP_EVENTS_SOURCEBASE), say
 * {@code https://events.shop.example/api}; by default {@code http://<host name>:<port>/api}.
 * Several instances behind one address should set the same base. A call's events take the base
 * of its exchange ({@link #BASE_PROPERTY}) when it has one: a keyed call taken over by a retry
 * publishes its events under the first run's base, wherever the retry runs.
 */
@Component
public class EventSources implements ApplicationListener<WebServerInitializedEvent> {

    /** The exchange property with the base a call's events are published under, if not this instance's. */
    public static final String BASE_PROPERTY = "eventSourceBase";

    private volatile String base;

    public EventSources(@Value("${shop.events.source-base:}") String configured) {
        if (!configured.isBlank()) {
            URI uri = URI.create(configured.strip());
            if (!uri.isAbsolute()) {
                throw new IllegalArgumentException("shop.events.source-base must be an absolute URI, such as"
                        + " https://events.shop.example/api, not '" + configured + "'");
            }
            base = stripSlash(uri.toString());
        }
    }

    @Override
    public void onApplicationEvent(WebServerInitializedEvent event) {
        if (base == null && event.getApplicationContext().getServerNamespace() == null) {
            base = "http://" + hostName() + ":" + event.getWebServer().getPort() + "/api";
        }
    }

    /** The source of events taken at this path under /api ("/orders"). */
    public String of(String path) {
        return base() + path;
    }

    /** The source of the call's events taken at this path: under the call's base if it has one. */
    public String of(String path, Exchange exchange) {
        String called = exchange.getProperty(BASE_PROPERTY, String.class);
        return (called != null ? called : base()) + path;
    }

    /** This instance's base. */
    public String base() {
        String known = base;
        return known == null ? "http://" + hostName() + "/api" : known;
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }

    private static String stripSlash(String uri) {
        return uri.endsWith("/") ? uri.substring(0, uri.length() - 1) : uri;
    }
}
