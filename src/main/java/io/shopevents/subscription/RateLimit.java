package io.shopevents.subscription;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * At most {@code calls} deliveries per {@code period}, across every instance: {@code 10/s},
 * {@code 600/min}, {@code 100/h}. Deliveries start one {@link #interval()} apart, never closer:
 * a partner that counts arrivals sees that pace plus the network's jitter.
 */
public record RateLimit(int calls, Duration period, String text) {

    private static final Pattern FORMAT = Pattern.compile("\\s*(\\d{1,6})\\s*/\\s*(s|sec|second|m|min|minute|h|hour)\\s*");

    /** The rate limit an option says; throws naming the format when it says none. */
    public static RateLimit parse(String text) {
        Matcher m = FORMAT.matcher(text);
        int calls = m.matches() ? Integer.parseInt(m.group(1)) : 0;
        if (calls < 1) {
            throw new IllegalArgumentException("rateLimit is a number of deliveries per second, minute or hour, such as"
                    + " 10/s, 600/min or 100/h, not '" + text.strip() + "'");
        }
        Duration period = switch (m.group(2)) {
            case "s", "sec", "second" -> Duration.ofSeconds(1);
            case "m", "min", "minute" -> Duration.ofMinutes(1);
            default -> Duration.ofHours(1);
        };
        return new RateLimit(calls, period, calls + "/" + switch (m.group(2)) {
            case "s", "sec", "second" -> "s";
            case "m", "min", "minute" -> "min";
            default -> "h";
        });
    }

    /** The time between two deliveries. */
    public Duration interval() {
        return period.dividedBy(calls);
    }


    @Override
    public String toString() {
        return text;
    }
}
