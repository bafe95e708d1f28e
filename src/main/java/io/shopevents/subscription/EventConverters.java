package io.shopevents.subscription;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.shopevents.event.CloudEvent;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.TypeConversionException;
import org.apache.camel.support.TypeConverterSupport;

import java.io.ByteArrayInputStream;
import java.io.InputStream;

/**
 * Lets Camel's JSON languages read the event a subscription's steps receive as the JSON it is on
 * the wire: jq ({@code .data.orderTotal}) reads it as a JsonNode, JSONPath
 * ({@code $.data.orderTotal}) as a stream. Written by the service's own mapper (times as RFC 3339,
 * extensions beside the other attributes).
 */
final class EventConverters {

    private EventConverters() {
    }

    static void register(CamelContext camel, ObjectMapper mapper) {
        var registry = camel.getTypeConverterRegistry();
        registry.addTypeConverter(JsonNode.class, CloudEvent.class, new TypeConverterSupport() {
            @Override
            public <T> T convertTo(Class<T> type, Exchange exchange, Object value) {
                return type.cast(mapper.valueToTree(value));
            }
        });
        registry.addTypeConverter(InputStream.class, CloudEvent.class, new TypeConverterSupport() {
            @Override
            public <T> T convertTo(Class<T> type, Exchange exchange, Object value) {
                try {
                    return type.cast(new ByteArrayInputStream(mapper.writeValueAsBytes(value)));
                } catch (JsonProcessingException e) {
                    throw new TypeConversionException(value, type, e);
                }
            }
        });
    }
}
