package io.shopevents.event;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.shopevents.api.NotFoundException;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;
import org.springframework.stereotype.Component;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Wraps event data in its CloudEvents 1.0 envelope (publishing side) and reads envelopes back
 * (consuming side), holding data from any publisher to the same schema as the REST edge.
 */
@Component("cloudEvents")
public class CloudEvents {

    /** Exchange properties the routes share: the event's type and, once wrapped, its id. */
    public static final String TYPE_PROPERTY = "eventType";
    public static final String ID_PROPERTY = "eventId";

    private static final int MAX_ID_LENGTH = 128;

    private final ObjectMapper mapper;
    private final EventDataValidator validator;
    private final CustomEventTypes customTypes;

    public CloudEvents(ObjectMapper mapper, EventDataValidator validator, CustomEventTypes customTypes) {
        this.mapper = mapper;
        this.validator = validator;
        this.customTypes = customTypes;
    }

    /**
     * Checks a request body against the schema of the event type it is for; throws with every bad field.
     * The body itself is left as it is, for the binding that follows.
     */
    public void validateRequest(byte[] body, @ExchangeProperty(TYPE_PROPERTY) String type) {
        JsonNode data = parse(body, "the request body");
        List<FieldError> errors = validator.validate(type, data);
        if (!errors.isEmpty()) {
            throw new InvalidEventException("invalid " + type + " data", errors);
        }
    }

    /** POST /api/events/{type} takes the custom types only; the built-in ones have their own endpoints. */
    public void requireCustomType(@ExchangeProperty(TYPE_PROPERTY) String type) {
        EventType.byName(type).ifPresent(builtIn -> {
            throw new NotFoundException("event type '" + type + "' has its own endpoint: POST " + builtIn.source());
        });
        if (!customTypes.contains(type)) {
            throw new NotFoundException("no event type '" + type + "' is configured (shop.custom-events.types)");
        }
    }

    /** Puts event data into a new envelope with a fresh id; the id is kept as an exchange property. */
    public CloudEvent wrap(Object data, @ExchangeProperty(TYPE_PROPERTY) String type, Exchange exchange) {
        String source = EventType.byName(type).map(EventType::source)
                .orElseGet(() -> {
                    if (!customTypes.contains(type)) {
                        throw new InvalidEventException("unknown event type '" + type + "'");
                    }
                    return CustomEventTypes.source(type);
                });
        String id = UUID.randomUUID().toString();
        exchange.setProperty(ID_PROPERTY, id);
        return new CloudEvent(CloudEvent.SPEC_VERSION, id, type, source,
                Instant.now().truncatedTo(ChronoUnit.MILLIS), CloudEvent.JSON, mapper.valueToTree(data));
    }

    /** The REST answer for an event the broker has confirmed. */
    public EventAccepted accepted(@ExchangeProperty(ID_PROPERTY) String id, @ExchangeProperty(TYPE_PROPERTY) String type) {
        return new EventAccepted(id, type);
    }

    /**
     * Reads a consumed message: a CloudEvents envelope of a known type whose data meets its schema.
     * Anything else is an {@link InvalidEventException}, which dead-letters the message without retries.
     */
    public CloudEvent read(byte[] body) {
        JsonNode json = parse(body, "the message body");
        if (!json.isObject()) {
            throw new InvalidEventException("the message body is not a CloudEvents JSON object");
        }
        CloudEvent event;
        try {
            event = mapper.treeToValue(json, CloudEvent.class);
        } catch (JsonProcessingException e) {
            throw new InvalidEventException("the message is not a CloudEvents envelope: " + e.getOriginalMessage());
        }
        List<FieldError> errors = envelopeErrors(event);
        if (!errors.isEmpty()) {
            throw new InvalidEventException("invalid CloudEvents envelope", errors);
        }
        if (!validator.knows(event.type())) {
            throw new InvalidEventException("unknown event type '" + event.type() + "'");
        }
        List<FieldError> dataErrors = validator.validate(event.type(), event.data()).stream()
                .map(e -> new FieldError(e.field().isEmpty() ? "data" : "data." + e.field(), e.message()))
                .toList();
        if (!dataErrors.isEmpty()) {
            throw new InvalidEventException("invalid " + event.type() + " data", dataErrors);
        }
        return event;
    }

    /** The typed data of an envelope that {@link #read} has accepted. */
    public <T> T data(CloudEvent event, Class<T> type) {
        try {
            return mapper.treeToValue(event.data(), type);
        } catch (JsonProcessingException e) {
            throw new InvalidEventException("cannot bind " + event.type() + " data: " + e.getOriginalMessage());
        }
    }

    private static List<FieldError> envelopeErrors(CloudEvent event) {
        List<FieldError> errors = new ArrayList<>();
        if (!CloudEvent.SPEC_VERSION.equals(event.specversion())) {
            errors.add(new FieldError("specversion", "must be \"1.0\""));
        }
        requireText(errors, "id", event.id());
        requireText(errors, "type", event.type());
        requireText(errors, "source", event.source());
        if (event.datacontenttype() != null && !event.datacontenttype().startsWith(CloudEvent.JSON)) {
            errors.add(new FieldError("datacontenttype", "must be application/json"));
        }
        if (event.data() == null || event.data().isNull()) {
            errors.add(new FieldError("data", "is required"));
        }
        return errors;
    }

    private static void requireText(List<FieldError> errors, String field, String value) {
        if (value == null || value.isBlank()) {
            errors.add(new FieldError(field, "is required"));
        } else if (value.length() > MAX_ID_LENGTH) {
            errors.add(new FieldError(field, "must be at most " + MAX_ID_LENGTH + " characters"));
        } else if (value.chars().anyMatch(Character::isISOControl)) {
            errors.add(new FieldError(field, "must not contain control characters such as CR or LF"));
        }
    }

    private JsonNode parse(byte[] body, String what) {
        if (body == null || body.length == 0) {
            throw new InvalidEventException(what + " is empty");
        }
        try {
            return mapper.readTree(body);
        } catch (JsonProcessingException e) {
            throw new InvalidEventException(what + " is not valid JSON: " + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw new InvalidEventException(what + " cannot be read: " + e.getMessage());
        }
    }
}
