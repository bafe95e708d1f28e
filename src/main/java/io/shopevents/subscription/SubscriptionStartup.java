package io.shopevents.subscription;

import io.shopevents.rabbit.TopologyUpgrade;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.amqp.AmqpException;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.EventListener;

/**
 * Once every subscription has bound its queue: the archive's bindings are made to follow the
 * subscriptions, and what an older version left in shop.events.dispatch is moved to shop.events.
 */
@Configuration
public class SubscriptionStartup {

    private static final Logger log = LoggerFactory.getLogger(SubscriptionStartup.class);

    @EventListener(ApplicationReadyEvent.class)
    public void moveWhatTheOldTopologyLeft(ApplicationReadyEvent ready) {
        try {
            ready.getApplicationContext().getBean(SubscriptionTopology.class).reconcileArchive();
        } catch (AmqpException e) {
            log.warn("cannot check the archive's bindings now ({})", e.getMessage());
        }
        TopologyUpgrade upgrade = ready.getApplicationContext().getBean(TopologyUpgrade.class);
        try {
            upgrade.drainLegacyDispatchQueue();
        } catch (AmqpException e) {
            log.warn("cannot look for messages left in shop.events.dispatch by an older version ({}); this is tried"
                    + " again at the next start", e.getMessage());
        }
    }
}
