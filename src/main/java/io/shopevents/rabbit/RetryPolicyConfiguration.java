package io.shopevents.rabbit;

import org.apache.camel.LoggingLevel;
import org.apache.camel.processor.errorhandler.RedeliveryPolicy;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * How the dispatch route retries an event whose processing failed for a reason that may pass
 * (SMTP server or database down): exponential back-off, from shop.retry.* in the configuration.
 * routes/dispatch.yaml refers to it as {@code redeliveryPolicyRef: retryPolicy}.
 */
@Configuration
public class RetryPolicyConfiguration {

    @Bean
    RedeliveryPolicy retryPolicy(@Value("${shop.retry.max-redeliveries}") int maxRedeliveries,
                                 @Value("${shop.retry.initial-delay}") long initialDelay,
                                 @Value("${shop.retry.max-delay}") long maxDelay) {
        return new RedeliveryPolicy()
                .maximumRedeliveries(maxRedeliveries)
                .redeliveryDelay(initialDelay)
                .useExponentialBackOff()
                .backOffMultiplier(2)
                .maximumRedeliveryDelay(maxDelay)
                .retryAttemptedLogLevel(LoggingLevel.WARN);
    }
}
