package io.shopevents.api;

import io.shopevents.event.TextRules;
import io.shopevents.tracing.CorrelationIds;

/**
 * Query parameters read strictly: a number is ASCII digits (Integer.parseInt also takes the digits
 * of other scripts, "１" or "١"), and a text holds no control character, which no stored value has
 * and which PostgreSQL refuses outright (a NUL).
 */
public final class QueryParameters {

    private QueryParameters() {
    }

    /** A page size: byDefault when absent, else a whole number from 1 to max. */
    public static int limit(String value, int byDefault, int max) {
        if (value == null || value.isBlank()) {
            return byDefault;
        }
        String digits = value.strip();
        if (!digits.matches("[0-9]{1,18}") || Long.parseLong(digits) < 1 || Long.parseLong(digits) > max) {
            throw new BadRequestException("limit must be a whole number from 1 to " + max + ", not '"
                    + CorrelationIds.escape(value) + "'");
        }
        return Integer.parseInt(digits);
    }

    /** A text to look up, null when absent or empty. */
    public static String text(String name, String value) {
        if (value == null || value.isEmpty()) {
            return null;
        }
        if (TextRules.hasControlCharacter(value)) {
            throw new BadRequestException(name + " holds a control character, which no " + name + " has");
        }
        return value;
    }
}
