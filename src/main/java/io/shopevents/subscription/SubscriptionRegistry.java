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

    void register(SubscriptionConsumer consumer) {
        String name = consumer.subscription().name();
        SubscriptionConsumer other = running.putIfAbsent(name, consumer);
        if (other != null && other != consumer) {
            throw new IllegalStateException("subscription '" + name + "' is consumed by route " + other.getRouteId()
                    + " already; route " + consumer.getRouteId() + " needs a name of its own");
        }
    }

    void unregister(SubscriptionConsumer consumer) {
        running.remove(consumer.subscription().name(), consumer);
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
