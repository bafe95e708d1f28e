package io.shopevents.event;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.shopevents.tracing.EventTracing;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;
import org.springframework.stereotype.Component;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * The REST edge's side of CloudEvents: checks a request's data against its type's schema and wraps
 * it in a new envelope (absolute source, subject, fresh id). The consuming side is {@link CloudEventReader}.
 */
@Component("cloudEvents")
public class CloudEvents {

    /** Exchange properties the routes share: the event's type and, once wrapped, its id and source. */
    public static final String TYPE_PROPERTY = "eventType";
    public static final String ID_PROPERTY = "eventId";
    public static final String SOURCE_PROPERTY = "eventSource";
    /**
     * Set once something the call published may take effect (the broker confirmed it, or its fate
     * is not known): the call's Idempotency-Key must then stay claimed, never be given back.
     */
    public static final String PUBLISHED_PROPERTY = "eventPublished";

    private final ObjectMapper mapper;
    private final EventTracing tracing;
    private final EventDataValidator validator;
    private final CustomEventTypes customTypes;
    private final EventSources sources;

    public CloudEvents(ObjectMapper mapper, EventDataValidator validator, CustomEventTypes customTypes, EventSources sources,
                       EventTracing tracing) {
        this.tracing = tracing;
        this.mapper = mapper;
        this.validator = validator;
        this.customTypes = customTypes;
        this.sources = sources;
    }

    /**
     * Checks a request body against the schema of the event type it is for; throws with every bad field.
     * The body itself is left as it is, for the binding that follows.
     */
    public void validateRequest(byte[] body, @ExchangeProperty(TYPE_PROPERTY) String type) {
        JsonNode data = parse(body);
        List<FieldError> errors = validator.validate(type, data);
        if (!errors.isEmpty()) {
            throw new InvalidEventException("invalid " + type + " data", errors);
        }
    }

    /** POST /api/events/{type} takes the custom types only; the built-in ones have their own endpoints. */
    public void requireCustomType(@ExchangeProperty(TYPE_PROPERTY) String type) {
        EventType.byName(type).ifPresent(builtIn -> {
            throw new UnknownEventTypeException("event type '" + type + "' has its own endpoint: POST /api" + builtIn.path());
        });
        if (!customTypes.contains(type)) {
            throw new UnknownEventTypeException("no event type '" + type + "' is configured (shop.custom-events.types)");
        }
    }

    /**
     * Puts event data into a new envelope with a fresh id (derived from the call's Idempotency-Key if
     * it has one, {@link EventIds}); id and source are kept as exchange properties.
     */
    public CloudEvent wrap(Object data, @ExchangeProperty(TYPE_PROPERTY) String type, Exchange exchange) {
        JsonNode tree = mapper.valueToTree(data);
        EventType builtIn = EventType.byName(type).orElse(null);
        if (builtIn == null && !customTypes.contains(type)) {
            throw new InvalidEventException("unknown event type '" + type + "'");
        }
        String source = sources.of(builtIn != null ? builtIn.path() : CustomEventTypes.path(type), exchange);
        String subject = builtIn != null ? tree.path(builtIn.subjectField()).asText(null) : null;
        String id = EventIds.of(exchange.getProperty(EventIds.SEED_PROPERTY, String.class), 0);
        exchange.setProperty(ID_PROPERTY, id);
        exchange.setProperty(SOURCE_PROPERTY, source);
        return new CloudEvent(CloudEvent.SPEC_VERSION, id, type, source, subject,
                Instant.now().truncatedTo(ChronoUnit.MILLIS), CloudEvent.JSON, tree, tracing.traceparent());
    }

    /** The REST answer for an event the broker has confirmed. */
    public EventAccepted accepted(@ExchangeProperty(ID_PROPERTY) String id, @ExchangeProperty(TYPE_PROPERTY) String type,
                                  Exchange exchange) {
        exchange.setProperty(PUBLISHED_PROPERTY, true);
        return new EventAccepted(id, type);
    }

    /** The typed data of an event that has been read and checked. */
    public <T> T data(CloudEvent event, Class<T> type) {
        try {
            return mapper.treeToValue(event.data(), type);
        } catch (JsonProcessingException e) {
            throw new InvalidEventException("cannot bind " + event.type() + " data: " + e.getOriginalMessage());
        }
    }

    private JsonNode parse(byte[] body) {
        return JsonDocuments.read(mapper, body, "the request body");
    }
}
