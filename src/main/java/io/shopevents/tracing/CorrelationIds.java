package io.shopevents.tracing;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The one rule for what may become a correlation id, whether it comes with an HTTP call
 * (X-Correlation-Id) or on a consumed message (AMQP correlation_id): up to 128 of
 * {@code [A-Za-z0-9._:-]}. Only such an id reaches answers and log lines; anything else is
 * replaced by a new one, and the original is logged once, escaped, so it cannot forge a line.
 */
public final class CorrelationIds {

    /** The log context (MDC) key, also the exchange property the routes keep it in. */
    public static final String KEY = "correlationId";
    private static final Pattern SENSIBLE = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
    private static final Logger log = LoggerFactory.getLogger(CorrelationIds.class);

    private CorrelationIds() {
    }

    public static boolean isSensible(String id) {
        return id != null && SENSIBLE.matcher(id).matches();
    }

    /** The id a caller gave, if sensible, else a new one. */
    public static String orNew(String given) {
        return isSensible(given) ? given : UUID.randomUUID().toString();
    }

    /** For a consumed message: its correlation_id if sensible; else a new one, the original logged escaped. */
    public static String forMessage(String given, String messageId) {
        if (given == null || given.isEmpty() || isSensible(given)) {
            return given == null || given.isEmpty() ? UUID.randomUUID().toString() : given;
        }
        String id = UUID.randomUUID().toString();
        log.info("{} came with a correlation_id that is not used in log lines; it is {} here; the original: \"{}\"",
                messageId == null ? "a message without message_id" : "message " + escape(messageId), id, escape(given));
        return id;
    }

    /** Printable ASCII stays, everything else (CR, LF, any control or non-ASCII character) becomes \\uXXXX. */
    public static String escape(String text) {
        if (text == null) {
            return "null";
        }
        String cut = text.length() > 256 ? text.substring(0, 256) + "..." : text;
        StringBuilder escaped = new StringBuilder(cut.length());
        for (char c : cut.toCharArray()) {
            if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"') {
                escaped.append(c);
            } else {
                escaped.append(String.format("\\u%04x", (int) c));
            }
        }
        return escaped.toString();
    }
}
