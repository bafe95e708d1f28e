package io.shopevents.webhook;

import io.shopevents.event.CloudEvent;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The event's attributes as CloudEvents HTTP binary-mode headers ({@code ce-id}, {@code ce-source},
 * ...; extensions too), for a body the steps reshaped: the receiver still knows which event it is.
 * Values are percent-encoded as the HTTP binding says (space, '"', '%' and all but printable ASCII).
 */
final class BinaryModeHeaders {

    private BinaryModeHeaders() {
    }

    static Map<String, String> of(CloudEvent event) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("ce-specversion", event.specversion() == null ? CloudEvent.SPEC_VERSION : event.specversion());
        headers.put("ce-id", encode(event.id()));
        headers.put("ce-source", encode(event.source()));
        headers.put("ce-type", encode(event.type()));
        if (event.subject() != null) {
            headers.put("ce-subject", encode(event.subject()));
        }
        if (event.time() != null) {
            headers.put("ce-time", event.time().toString());
        }
        event.extensions().forEach((name, value) -> headers.put("ce-" + name, encode(String.valueOf(value))));
        return headers;
    }

    static String encode(String value) {
        StringBuilder encoded = new StringBuilder(value.length());
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c > 0x20 && c < 0x7f && c != '"' && c != '%') {
                encoded.append((char) c);
            } else {
                encoded.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return encoded.toString();
    }
}
