package io.shopevents.event;

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
 * Several instances behind one address should set the same base.
 */
@Component
public class EventSources implements ApplicationListener<WebServerInitializedEvent> {

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
        String known = base;
        return (known == null ? "http://" + hostName() + "/api" : known) + path;
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
