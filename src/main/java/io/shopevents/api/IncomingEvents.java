package io.shopevents.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.shopevents.event.CloudEvent;
import io.shopevents.event.CloudEventReader;
import io.shopevents.event.CustomEventTypes;
import io.shopevents.event.EventIds;
import io.shopevents.event.EventSources;
import io.shopevents.event.EventType;
import io.shopevents.event.FieldError;
import io.shopevents.event.InvalidEventException;
import io.shopevents.event.OperationalEventType;
import io.shopevents.tracing.EventTracing;
import org.apache.camel.Exchange;
import org.springframework.stereotype.Component;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Set;

/**
 * A CloudEvent a producer sent as it is (an item of a batch, or one event in structured or binary
 * mode), checked as a single call's data would be: its type known, the caller's key holding the
 * scope of that type, envelope and data valid, a built-in type's data bound to its record. id and
 * source are kept if given (the event is identified by both), else set as for a single call; so
 * are time and subject. Extension attributes are kept.
 */
@Component
public class IncomingEvents {

    private final ObjectMapper mapper;
    private final CloudEventReader reader;
    private final CustomEventTypes customTypes;
    private final EventSources sources;
    private final EventTracing tracing;

    public IncomingEvents(ObjectMapper mapper, CloudEventReader reader, CustomEventTypes customTypes, EventSources sources,
                          EventTracing tracing) {
        this.mapper = mapper;
        this.reader = reader;
        this.customTypes = customTypes;
        this.sources = sources;
        this.tracing = tracing;
    }

    /**
     * The index-th event of the call to publish; throws {@link InvalidEventException} (400) or
     * {@link ForbiddenException} (403). One without an id or source gets the call's ({@link EventIds},
     * {@link EventSources#of(String, Exchange)}).
     */
    public CloudEvent check(JsonNode item, Exchange exchange, int index) {
        if (!item.isObject()) {
            throw new InvalidEventException("a CloudEvent in JSON is an object");
        }
        ObjectNode envelope = ((ObjectNode) item).deepCopy();
        String type = typeOf(item);
        EventType builtIn = type == null ? null : EventType.byName(type).orElse(null);
        boolean custom = type != null && builtIn == null && customTypes.contains(type);
        if (OperationalEventType.isOperational(type)) {
            throw new InvalidEventException("event type '" + type + "' is the service's own",
                    List.of(new FieldError("type", "shop.* events are published by the service itself (operational events);"
                            + " no producer sends them")));
        }
        if (type != null && builtIn == null && !custom) {
            throw new InvalidEventException("unknown event type '" + type + "'",
                    List.of(new FieldError("type", "must be user_registered, order_placed, payment_processed or one of "
                            + customTypes.names().stream().sorted().toList())));
        }
        // as for a single call: a key without the type's scope hears 403 whatever the event holds
        String scope = builtIn != null ? builtIn.writeScope() : EventType.CUSTOM_WRITE_SCOPE;
        if (type != null && !callerScopes(exchange).contains(scope)) {
            throw new ForbiddenException("this API key does not have the scope " + scope + " for " + type + " events");
        }
        if (!envelope.hasNonNull("id")) {
            envelope.put("id", EventIds.of(exchange.getProperty(EventIds.SEED_PROPERTY, String.class), index));
        }
        if (!envelope.hasNonNull("source") && type != null) {
            envelope.put("source", sources.of(builtIn != null ? builtIn.path() : CustomEventTypes.path(type), exchange));
        }
        CloudEvent event = reader.read(envelope);
        reader.checkData(event);
        JsonNode data = event.data();
        String subject = event.subject();
        if (builtIn != null) {
            // bound to its record and back, as a single call's data is: 1e2 is refused there, "100" kept as text
            data = mapper.valueToTree(bind(data, builtIn.dataType()));
            subject = subject != null ? subject : data.path(builtIn.subjectField()).asText(null);
        }
        Instant time = event.time() != null ? event.time() : Instant.now().truncatedTo(ChronoUnit.MILLIS);
        return new CloudEvent(CloudEvent.SPEC_VERSION, event.id(), type, event.source(), subject, time, CloudEvent.JSON, data,
                event.traceparent() != null ? event.traceparent() : tracing.traceparent(), event.extensions());
    }

    /** The scopes of the caller's API key (the call may run on a thread its security filter never saw). */
    @SuppressWarnings("unchecked")
    private static Set<String> callerScopes(Exchange exchange) {
        Set<String> scopes = exchange.getProperty(ApiCall.SCOPES_PROPERTY, Set.class);
        return scopes == null ? Set.of() : scopes;
    }

    static String typeOf(JsonNode item) {
        return item.path("type").isTextual() ? item.get("type").asText() : null;
    }

    private Object bind(JsonNode data, Class<?> type) {
        try {
            return mapper.treeToValue(data, type);
        } catch (JsonProcessingException e) {
            throw new InvalidEventException("cannot read the data: " + e.getOriginalMessage());
        }
    }
}
