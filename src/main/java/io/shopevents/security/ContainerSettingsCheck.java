package io.shopevents.security;

import org.springframework.beans.factory.InitializingBean;
import org.springframework.context.annotation.Profile;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;

import java.util.ArrayList;
import java.util.List;

/**
 * In a container, the service refuses to start on development settings: it needs API keys and
 * broker credentials of its own (from the environment or a secrets file), not guest/guest.
 */
@Component
@Profile("container")
public class ContainerSettingsCheck implements InitializingBean {

    private final ApiKeys apiKeys;
    private final Environment environment;

    public ContainerSettingsCheck(ApiKeys apiKeys, Environment environment) {
        this.apiKeys = apiKeys;
        this.environment = environment;
    }

    @Override
    public void afterPropertiesSet() {
        List<String> problems = problems();
        if (!problems.isEmpty()) {
            throw new IllegalStateException("shop-events will not start in the container profile with development"
                    + " settings:\n  - " + String.join("\n  - ", problems)
                    + "\nSet them in the environment or a secrets file (see SECURITY.md).");
        }
    }

    List<String> problems() {
        List<String> problems = new ArrayList<>();
        if (apiKeys.apiKeys().isEmpty()) {
            problems.add("no API keys: set SHOP_SECURITY_APIKEYS_0_NAME, _KEY and _SCOPES");
        }
        String user = environment.getProperty("spring.rabbitmq.username", "");
        String password = environment.getProperty("spring.rabbitmq.password", "");
        if (user.isBlank() || password.isBlank() || ("guest".equals(user) && "guest".equals(password))) {
            problems.add("no RabbitMQ credentials of its own: set SPRING_RABBITMQ_USERNAME and SPRING_RABBITMQ_PASSWORD"
                    + " (not guest/guest)");
        }
        return problems;
    }
}
