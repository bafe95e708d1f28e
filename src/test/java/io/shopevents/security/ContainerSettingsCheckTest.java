package io.shopevents.security;

import org.junit.jupiter.api.Test;
import org.springframework.mock.env.MockEnvironment;

import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** In the container profile, development settings stop the start. */
class ContainerSettingsCheckTest {

    private static final ApiKeys ONE_KEY = new ApiKeys(List.of(
            new ApiKeys.ApiKey("shop", "a-long-enough-secret-key", Set.of("orders:write"))));

    @Test
    void refusesToStartWithoutKeysOrWithGuestCredentials() {
        MockEnvironment guest = new MockEnvironment()
                .withProperty("spring.rabbitmq.username", "guest")
                .withProperty("spring.rabbitmq.password", "guest");

        assertThatThrownBy(() -> new ContainerSettingsCheck(new ApiKeys(List.of()), guest).afterPropertiesSet())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no API keys")
                .hasMessageContaining("not guest/guest");
    }

    @Test
    void refusesToStartWithoutBrokerCredentials() {
        assertThat(new ContainerSettingsCheck(ONE_KEY, new MockEnvironment()).problems())
                .singleElement().asString().contains("SPRING_RABBITMQ_USERNAME");
    }

    @Test
    void startsWithKeysAndCredentialsOfItsOwn() {
        MockEnvironment own = new MockEnvironment()
                .withProperty("spring.rabbitmq.username", "shop")
                .withProperty("spring.rabbitmq.password", "s3cret-from-a-file");

        assertThat(new ContainerSettingsCheck(ONE_KEY, own).problems()).isEmpty();
    }

    @Test
    void shortKeysAreRefused() {
        assertThatThrownBy(() -> new ApiKeys(List.of(new ApiKeys.ApiKey("shop", "short", Set.of("orders:write")))))
                .hasMessageContaining("at least 16 characters");
    }

    @Test
    void keysAreMatchedExactly() {
        assertThat(ONE_KEY.callerOf("a-long-enough-secret-key")).hasValueSatisfying(
                caller -> assertThat(caller.scopes()).containsExactly("orders:write"));
        assertThat(ONE_KEY.callerOf("a-long-enough-secret-ke")).isEmpty();
        assertThat(ONE_KEY.callerOf("A-LONG-ENOUGH-SECRET-KEY")).isEmpty();
    }
}
