package io.shopevents.api;

import org.apache.camel.Exchange;
import org.springframework.stereotype.Component;
import org.springframework.web.util.UriUtils;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The {@code ce-*} headers of a call: a CloudEvent's attributes in the HTTP binding's binary mode,
 * percent-decoded as the binding says (a value carries non-ASCII text as %-escaped UTF-8). Only
 * {@code POST /api/events} takes them; a typed endpoint refuses them rather than ignore an id the
 * caller meant to identify the event by.
 */
@Component("cloudEventHeaders")
public class CloudEventHeaders {

    private static final String PREFIX = "ce-";

    /** The attributes, by lower-case name, in name order; empty when the call has none. */
    public static Map<String, String> of(Exchange exchange) {
        Map<String, String> attributes = new TreeMap<>();
        for (Map.Entry<String, Object> header : exchange.getMessage().getHeaders().entrySet()) {
            String name = header.getKey();
            if (name.length() > PREFIX.length() && name.regionMatches(true, 0, PREFIX, 0, PREFIX.length())) {
                String attribute = name.substring(PREFIX.length()).toLowerCase(Locale.ROOT);
                attributes.put(attribute, decoded(name, header.getValue()));
            }
        }
        return attributes;
    }

    /** For the typed endpoints, which take the event's data and make its envelope themselves. */
    public void refuse(Exchange exchange) {
        Map<String, String> attributes = of(exchange);
        if (!attributes.isEmpty()) {
            throw new BadRequestException("this endpoint takes the event's data and gives it an id of its own; a CloudEvent"
                    + " in binary mode (ce-" + String.join(", ce-", attributes.keySet()) + ") goes to POST /api/events,"
                    + " which keeps its id, source and extensions");
        }
    }

    private static String decoded(String name, Object value) {
        String single = RequestHeaders.single(name, value, "a CloudEvent attribute has one value");
        try {
            return UriUtils.decode(String.valueOf(single), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new BadRequestException("header " + name + " is not validly percent-encoded: " + e.getMessage());
        }
    }
}
