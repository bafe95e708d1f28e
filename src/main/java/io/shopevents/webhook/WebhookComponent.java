package io.shopevents.webhook;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.Endpoint;
import org.apache.camel.support.DefaultComponent;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;

import java.util.Map;

/**
 * The Camel component behind {@code to: signed-webhook:<name>} in a subscription's route file:
 * each event is POSTed to a partner's URL as a structured CloudEvent, signed as Standard Webhooks
 * says. See {@link WebhookEndpoint} for the options and {@link WebhookProducer} for what each
 * answer means.
 */
@Component("signed-webhook")
public class WebhookComponent extends DefaultComponent {

    final ObjectMapper mapper;
    final Environment environment;

    public WebhookComponent(ObjectMapper mapper, Environment environment) {
        this.mapper = mapper;
        this.environment = environment;
    }

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) throws Exception {
        WebhookEndpoint endpoint = new WebhookEndpoint(uri, this, remaining);
        setProperties(endpoint, parameters);
        endpoint.checkOptions();
        return endpoint;
    }
}
