package io.shopevents.event;

import io.shopevents.api.CorrelationIdFilter;
import org.apache.camel.Exchange;
import org.apache.camel.component.springrabbit.SpringRabbitMQConstants;
import org.springframework.stereotype.Component;

import java.util.UUID;

/**
 * The correlation id of a consumed message, for the log lines of its processing: the AMQP
 * correlation_id the REST edge set, or a new one for a message published without (by hand).
 */
@Component("consumedCorrelation")
public class ConsumedCorrelation {

    public void take(Exchange exchange) {
        String id = exchange.getMessage().getHeader(SpringRabbitMQConstants.CORRELATION_ID, String.class);
        exchange.setProperty(CorrelationIdFilter.KEY, id == null || id.isBlank() ? UUID.randomUUID().toString() : id);
    }
}
