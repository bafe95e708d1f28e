package io.shopevents.subscription;

import org.springframework.stereotype.Component;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;

/** The subscriptions running in this instance, by name: for health, metrics, withdrawals and the API. */
@Component
public class SubscriptionRegistry {

    private final Map<String, SubscriptionConsumer> running = new ConcurrentSkipListMap<>();
    /** Subscriptions whose route file was removed while the service runs: their queues stay, and fill. */
    private final Map<String, Subscription> retired = new ConcurrentSkipListMap<>();

    void register(SubscriptionConsumer consumer) {
        String name = consumer.subscription().name();
        retired.remove(name);
        SubscriptionConsumer other = running.putIfAbsent(name, consumer);
        if (other != null && other != consumer) {
            throw new IllegalStateException("subscription '" + name + "' is consumed by route " + other.getRouteId()
                    + " already; route " + consumer.getRouteId() + " needs a name of its own");
        }
    }

    void unregister(SubscriptionConsumer consumer, boolean routeRemoved) {
        if (running.remove(consumer.subscription().name(), consumer) && routeRemoved) {
            retired.put(consumer.subscription().name(), consumer.subscription());
        }
    }

    /** Subscriptions stopped while the service runs (their route file removed), whose queues stay. */
    public Map<String, Subscription> retired() {
        return Map.copyOf(retired);
    }

    public Collection<Subscription> all() {
        return running.values().stream().map(SubscriptionConsumer::subscription).toList();
    }

    public Set<String> names() {
        return Set.copyOf(running.keySet());
    }

    public Optional<SubscriptionConsumer> find(String name) {
        return Optional.ofNullable(running.get(name));
    }

    /** The running subscriptions, in name order. */
    public List<SubscriptionConsumer> consumers() {
        return List.copyOf(new TreeMap<>(running).values());
    }
}
