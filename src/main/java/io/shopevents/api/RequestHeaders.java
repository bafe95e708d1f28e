package io.shopevents.api;

import java.util.List;

/** Headers the service reads one value of: given twice (a proxy's copy, say), the call is refused, never joined. */
final class RequestHeaders {

    private RequestHeaders() {
    }

    /**
     * The header's one value, as the web server hands it over (one value, or a list of those given);
     * null if absent. Throws {@link BadRequestException} (400) naming the header and why it has one value.
     */
    static String single(String name, Object value, String why) {
        if (value instanceof List<?> values) {
            if (values.size() != 1) {
                throw new BadRequestException("header " + name + " is given " + values.size() + " times; " + why);
            }
            value = values.get(0);
        }
        return value == null ? null : String.valueOf(value);
    }
}
