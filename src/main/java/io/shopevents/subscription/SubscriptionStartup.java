package io.shopevents.subscription;

import io.shopevents.rabbit.TopologyUpgrade;
import org.apache.camel.CamelContext;
import org.apache.camel.model.errorhandler.NoErrorHandlerDefinition;
import org.apache.camel.spring.boot.CamelContextConfiguration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.amqp.AmqpException;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.EventListener;

/**
 * What the subscriptions need from the application around them:
 * <ul>
 * <li>routes handle no errors themselves unless their route configuration says so: a
 * subscription's failure goes to its consumer, which retries it on the broker or dead-letters it
 * (Camel's default error handler would retry on the consumer's thread, and log each failure as an
 * error); the REST routes' configuration (rest-calls) has its own;</li>
 * <li>once every subscription has bound its queue, what an older version left in
 * shop.events.dispatch is moved to shop.events.</li>
 * </ul>
 */
@Configuration
public class SubscriptionStartup {

    private static final Logger log = LoggerFactory.getLogger(SubscriptionStartup.class);

    @Bean
    CamelContextConfiguration noErrorHandlerByDefault() {
        return new CamelContextConfiguration() {
            @Override
            public void beforeApplicationStart(CamelContext camelContext) {
                camelContext.getCamelContextExtension().setErrorHandlerFactory(new NoErrorHandlerDefinition());
            }

            @Override
            public void afterApplicationStart(CamelContext camelContext) {
                // nothing
            }
        };
    }

    @EventListener(ApplicationReadyEvent.class)
    public void moveWhatTheOldTopologyLeft(ApplicationReadyEvent ready) {
        TopologyUpgrade upgrade = ready.getApplicationContext().getBean(TopologyUpgrade.class);
        try {
            upgrade.drainLegacyDispatchQueue();
        } catch (AmqpException e) {
            log.warn("cannot look for messages left in shop.events.dispatch by an older version ({}); this is tried"
                    + " again at the next start", e.getMessage());
        }
    }
}
