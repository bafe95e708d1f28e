package io.shopevents.subscription;

import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.support.DefaultEndpoint;

import org.springframework.boot.convert.DurationStyle;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * {@code subscription:<name>?types=<type>[,<type>...]} with optional {@code filter} (CloudEvents
 * SQL) and {@code jq} (a jq condition), see {@link SubscriptionFilter}, {@code orderBy} (see
 * {@link OrderedHolds}), {@code rateLimit} (see {@link RateLimit}), and {@code consumers},
 * {@code prefetch}, {@code batchSize}, {@code batchWait} (ms), {@code maxAttempts},
 * {@code retryDelays}, {@code pauseAfter} and {@code pauseAfterFailures} (defaults:
 * shop.subscriptions.*). Only consumes:
 * events are published to shop.events, never to a subscription directly.
 */
public class SubscriptionEndpoint extends DefaultEndpoint {

    private final String name;
    private String types;
    private Integer consumers;
    private Integer prefetch;
    private Integer maxAttempts;
    private Integer batchSize;
    private Long batchWait;
    private String filter;
    private String jq;
    private String orderBy;
    private String rateLimit;
    private String retryDelays;
    private String pauseAfter;
    private Integer pauseAfterFailures;
    private Subscription subscription;
    private SubscriptionFilter contentFilter;

    SubscriptionEndpoint(String uri, SubscriptionComponent component, String name) {
        super(uri, component);
        this.name = name;
    }

    @Override
    public SubscriptionComponent getComponent() {
        return (SubscriptionComponent) super.getComponent();
    }

    /** The options checked with the route file, before it runs: those {@link #problem} knows. */
    public static final List<String> CHECKED_OPTIONS = List.of("rateLimit", "retryDelays", "pauseAfter", "orderBy",
            "consumers", "prefetch", "maxAttempts", "batchSize", "batchWait", "pauseAfterFailures");

    /**
     * What is wrong with the value of one of {@link #CHECKED_OPTIONS} as a route file writes it;
     * null when nothing is. For the check of a route file before it runs, which names its file and
     * line (the endpoint's own checks, when it starts, only say "failed to start").
     */
    public static String problem(String option, String value) {
        try {
            switch (option) {
                case "rateLimit" -> RateLimit.parse(value);
                case "retryDelays" -> {
                    String problem = SubscriptionProperties.Retry.problem(durations(option, value));
                    return problem == null ? null : "retryDelays: " + problem;
                }
                case "pauseAfter" -> {
                    List<Duration> after = durations(option, value);
                    if (after.size() != 1 || after.get(0).isNegative()) {
                        return "pauseAfter is one duration such as 30m or 2h (0: never for time), not '" + value.strip() + "'";
                    }
                }
                case "orderBy" -> {
                    return OrderedHolds.problem(value.strip());
                }
                case "consumers", "prefetch", "maxAttempts", "batchSize" -> {
                    return whole(option, value, 1, 100_000);
                }
                case "batchWait" -> {
                    return whole(option, value, 1, 10_000);
                }
                case "pauseAfterFailures" -> {
                    return whole(option, value, 0, 1_000_000);
                }
                default -> {
                    return null;
                }
            }
            return null;
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }

    private static String whole(String option, String value, int least, int most) {
        String digits = value.strip();
        if (digits.matches("[0-9]{1,9}") && Integer.parseInt(digits) >= least && Integer.parseInt(digits) <= most) {
            return null;
        }
        return option + " is a whole number from " + least + " to " + most + (option.equals("batchWait") ? " (ms)" : "")
                + ", not '" + value.strip() + "'";
    }

    /** Validates the options, naming the route file's mistake; the subscription they make. */
    void checkOptions() {
        SubscriptionComponent component = getComponent();
        if (!Subscription.NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("subscription:" + name + ": a subscription's name is lower case letters,"
                    + " digits and '-', starting with a letter, at most 63 characters");
        }
        if (Subscription.RESERVED.contains(name)) {
            throw new IllegalArgumentException("subscription:" + name + ": '" + name + "' names a queue of the fixed"
                    + " topology (" + String.join(", ", Subscription.RESERVED) + "); choose another name");
        }
        if (types == null || types.isBlank()) {
            throw new IllegalArgumentException("subscription:" + name + " needs the event types it takes: types=<type>[,<type>...]");
        }
        Set<String> taken = Arrays.stream(types.split(",")).map(String::strip).filter(t -> !t.isEmpty())
                .collect(Collectors.toCollection(LinkedHashSet::new));
        Set<String> unknown = taken.stream().filter(t -> !component.knownTypes.knows(t))
                .collect(Collectors.toCollection(LinkedHashSet::new));
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("subscription:" + name + " takes " + unknown + ", which this service does"
                    + " not know; the known event types are " + component.knownTypes.types().stream().sorted().toList()
                    + " (a custom type needs its schema and its name in shop.custom-events.types)");
        }
        SubscriptionProperties defaults = component.properties;
        int chosenPrefetch = positive("prefetch", prefetch, defaults.getPrefetch());
        // a batch is taken from what the consumer holds: never more than its prefetch
        int chosenBatch = Math.min(positive("batchSize", batchSize, defaults.getBatchSize()), chosenPrefetch);
        RateLimit limit = null;
        if (rateLimit != null && !rateLimit.isBlank()) {
            limit = option(() -> RateLimit.parse(rateLimit));
            // each delivery books its own slot just before it starts, in a transaction of its own;
            // a consumer holds the next one meanwhile, no more
            chosenBatch = 1;
            chosenPrefetch = Math.min(chosenPrefetch, 2);
        }
        List<Duration> delays = retryDelays == null || retryDelays.isBlank() ? defaults.getRetry().getDelays()
                : option(() -> durations("retryDelays", retryDelays));
        String delaysProblem = SubscriptionProperties.Retry.problem(delays);
        if (delaysProblem != null) {
            throw new IllegalArgumentException("subscription:" + name + ": retryDelays: " + delaysProblem);
        }
        String pauseProblem = pauseAfter == null || pauseAfter.isBlank() ? null : problem("pauseAfter", pauseAfter);
        if (pauseProblem != null) {
            throw new IllegalArgumentException("subscription:" + name + ": " + pauseProblem);
        }
        Duration chosenPauseAfter = pauseAfter == null || pauseAfter.isBlank() ? defaults.getPause().getAfter()
                : durations("pauseAfter", pauseAfter).get(0);
        int chosenPauseFailures = pauseAfterFailures == null ? defaults.getPause().getAfterFailures() : pauseAfterFailures;
        if (chosenPauseAfter.isNegative() || chosenPauseFailures < 0) {
            throw new IllegalArgumentException("subscription:" + name + ": pauseAfter is a duration (such as 30m or 2h)"
                    + " and pauseAfterFailures a number of attempts; 0 turns either off");
        }
        long waitMillis = batchWait == null ? defaults.getBatchWait().toMillis() : batchWait;
        if (waitMillis < 1 || waitMillis > 10_000) {
            throw new IllegalArgumentException("subscription:" + name + ": batchWait is in milliseconds, from 1 to 10000");
        }
        try {
            contentFilter = SubscriptionFilter.of(filter, jq, getCamelContext());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("subscription:" + name + ": " + e.getMessage(), e);
        }
        String orderProblem = orderBy == null || orderBy.isBlank() ? null : OrderedHolds.problem(orderBy.strip());
        if (orderProblem != null) {
            throw new IllegalArgumentException("subscription:" + name + ": " + orderProblem);
        }
        subscription = new Subscription(name, taken,
                positive("consumers", consumers, defaults.getConsumers()),
                chosenPrefetch,
                positive("maxAttempts", maxAttempts, defaults.getRetry().getMaxAttempts()),
                chosenBatch, Duration.ofMillis(waitMillis), orderBy == null || orderBy.isBlank() ? null : orderBy.strip(),
                delays, limit, chosenPauseAfter, chosenPauseFailures);
    }

    private <T> T option(java.util.function.Supplier<T> parse) {
        try {
            return parse.get();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("subscription:" + name + ": " + e.getMessage(), e);
        }
    }

    /**
     * 1s,30s,2m: durations as Spring Boot reads them (ms, s, m, h, d; ISO-8601 too), each with its
     * unit: Spring Boot would read a bare 10 as 10 ms, which no one writing a route file means.
     */
    public static List<Duration> durations(String option, String text) {
        List<Duration> parsed = new ArrayList<>();
        for (String part : text.split(",", -1)) {
            String one = part.strip();
            if (one.matches("[0-9]+") && !one.matches("0+")) {
                throw new IllegalArgumentException(option + ": '" + one + "' needs a unit (such as " + one + "s or "
                        + one + "ms)");
            }
            try {
                parsed.add(DurationStyle.detectAndParse(one));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(option + ": '" + part.strip() + "' is not a duration (such as 500ms,"
                        + " 30s, 10m or 2h)");
            }
        }
        return parsed;
    }

    private int positive(String option, Integer value, int byDefault) {
        int chosen = value == null ? byDefault : value;
        if (chosen < 1) {
            throw new IllegalArgumentException("subscription:" + name + ": " + option + " must be at least 1");
        }
        return chosen;
    }

    public Subscription subscription() {
        return subscription;
    }

    SubscriptionFilter contentFilter() {
        return contentFilter;
    }

    @Override
    public Consumer createConsumer(Processor processor) throws Exception {
        SubscriptionConsumer consumer = new SubscriptionConsumer(this, processor);
        configureConsumer(consumer);
        return consumer;
    }

    @Override
    public Producer createProducer() {
        throw new UnsupportedOperationException("subscription:" + name + " only consumes; publish events to the"
                + " exchange shop.events (spring-rabbitmq:shop.events) instead");
    }

    @Override
    public boolean isLenientProperties() {
        return false;
    }

    public String getTypes() {
        return types;
    }

    public void setTypes(String types) {
        this.types = types;
    }

    public Integer getConsumers() {
        return consumers;
    }

    public void setConsumers(Integer consumers) {
        this.consumers = consumers;
    }

    public Integer getPrefetch() {
        return prefetch;
    }

    public void setPrefetch(Integer prefetch) {
        this.prefetch = prefetch;
    }

    public Integer getBatchSize() {
        return batchSize;
    }

    public void setBatchSize(Integer batchSize) {
        this.batchSize = batchSize;
    }

    public Long getBatchWait() {
        return batchWait;
    }

    public void setBatchWait(Long batchWait) {
        this.batchWait = batchWait;
    }

    public String getFilter() {
        return filter;
    }

    public void setFilter(String filter) {
        this.filter = filter;
    }

    public String getJq() {
        return jq;
    }

    public void setJq(String jq) {
        this.jq = jq;
    }

    public String getOrderBy() {
        return orderBy;
    }

    public void setOrderBy(String orderBy) {
        this.orderBy = orderBy;
    }

    public String getRateLimit() {
        return rateLimit;
    }

    public void setRateLimit(String rateLimit) {
        this.rateLimit = rateLimit;
    }

    public String getRetryDelays() {
        return retryDelays;
    }

    public void setRetryDelays(String retryDelays) {
        this.retryDelays = retryDelays;
    }

    public String getPauseAfter() {
        return pauseAfter;
    }

    public void setPauseAfter(String pauseAfter) {
        this.pauseAfter = pauseAfter;
    }

    public Integer getPauseAfterFailures() {
        return pauseAfterFailures;
    }

    public void setPauseAfterFailures(Integer pauseAfterFailures) {
        this.pauseAfterFailures = pauseAfterFailures;
    }

    public Integer getMaxAttempts() {
        return maxAttempts;
    }

    public void setMaxAttempts(Integer maxAttempts) {
        this.maxAttempts = maxAttempts;
    }
}
