package io.shopevents.api;

import io.shopevents.event.TextRules;
import io.shopevents.tracing.CorrelationIds;
import org.springframework.stereotype.Component;
import org.springframework.web.util.UriUtils;

import java.nio.charset.StandardCharsets;

/**
 * Path parameters as the client meant them: Camel's platform-http hands them on as they were in
 * the URI, percent-escapes and all, so an order posted as "a b" and asked for as /api/orders/a%20b
 * is looked up as "a b" (and /api/orders/a%2520b as "a%20b"). A control character (%00, %0A)
 * answers 400: no id or name holds one.
 */
@Component("pathParameters")
public class PathParameters {

    public String decode(String raw) {
        if (raw == null) {
            return null;
        }
        String decoded;
        try {
            decoded = UriUtils.decode(raw, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new BadRequestException("the path holds a malformed percent-escape: " + CorrelationIds.escape(raw));
        }
        if (TextRules.hasControlCharacter(decoded)) {
            // no id or name holds one, and PostgreSQL refuses a NUL outright (a 500 before)
            throw new BadRequestException("the path holds a control character: " + CorrelationIds.escape(decoded));
        }
        return decoded;
    }
}
