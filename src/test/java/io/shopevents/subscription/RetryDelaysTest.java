package io.shopevents.subscription;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class RetryDelaysTest {

    private final SubscriptionProperties.Retry retry = new SubscriptionProperties.Retry();

    {
        retry.setDelays(List.of(Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(30), Duration.ofMinutes(2)));
    }

    @Test
    void theBackOffOfTheAttemptTheLastRepeating() {
        assertThat(retry.delayAfter(1)).isEqualTo(Duration.ofSeconds(1));
        assertThat(retry.delayAfter(2)).isEqualTo(Duration.ofSeconds(5));
        assertThat(retry.delayAfter(9)).isEqualTo(Duration.ofMinutes(2));
    }
}
