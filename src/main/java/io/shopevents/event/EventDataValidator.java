package io.shopevents.event;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.PathType;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import org.springframework.core.io.ClassPathResource;
import org.springframework.stereotype.Component;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Set;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks an event's data against its JSON Schema: {@code schemas/<type>.json} on the classpath for
 * the built-in and the operational types, the file in shop.custom-events.schema-dir for custom ones.
 * The same rules guard the REST edge and the consumer, so an event published by hand
 * to the exchange is held to what the API enforces.
 */
@Component
public class EventDataValidator {

    /** The schema of each known event type, built-in and custom, by its name. */
    private final Map<String, JsonSchema> schemas = new HashMap<>();

    public EventDataValidator(CustomEventTypes customTypes) {
        // "message" in a schema holds the human wording of a rule, next to the rule itself
        SchemaValidatorsConfig config = SchemaValidatorsConfig.builder()
                .errorMessageKeyword("message")
                .pathType(PathType.JSON_PATH)
                .build();
        JsonSchemaFactory factory = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
        List<String> ownTypes = new ArrayList<>();
        Arrays.stream(EventType.values()).map(EventType::eventName).forEach(ownTypes::add);
        Arrays.stream(OperationalEventType.values()).map(OperationalEventType::eventName).forEach(ownTypes::add);
        for (String type : ownTypes) {
            String location = "schemas/" + type + ".json";
            try (InputStream in = new ClassPathResource(location).getInputStream()) {
                schemas.put(type, factory.getSchema(in, config));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + location, e);
            }
        }
        for (String type : customTypes.names()) {
            Path location = customTypes.schemaOf(type);
            try (InputStream in = Files.newInputStream(location)) {
                schemas.put(type, factory.getSchema(in, config));
            } catch (IOException e) {
                throw new IllegalStateException("custom event type '" + type + "' needs its JSON Schema at "
                        + location.toAbsolutePath() + ": " + e, e);
            }
        }
    }

    /** Every type this service knows: built-in, operational and custom. */
    public java.util.Set<String> types() {
        return java.util.Collections.unmodifiableSet(schemas.keySet());
    }

    /** The JSON Schema of a known type's data, as its file has it; null for an unknown type. */
    public JsonNode schemaOf(String type) {
        JsonSchema schema = schemas.get(type);
        return schema == null ? null : schema.getSchemaNode();
    }

    /** Whether the type is one this service knows (built-in or custom). */
    public boolean knows(String type) {
        return schemas.containsKey(type);
    }

    /**
     * Every rule the data breaks, one entry per bad field, in field order; empty when valid. The
     * schema's rules first, then those a schema cannot say ({@link EventRules}); the REST edge and
     * every subscription call this, so what one accepts the other applies.
     */
    public List<FieldError> validate(String type, JsonNode data) {
        JsonSchema schema = schemas.get(type);
        if (schema == null) {
            throw new InvalidEventException("unknown event type '" + type + "'");
        }
        List<FieldError> errors = new ArrayList<>(schema.validate(data).stream()
                .map(EventDataValidator::toFieldError)
                .distinct()
                .toList());
        Set<String> named = new HashSet<>();
        errors.forEach(e -> named.add(e.field()));
        if (!named.contains("")) {
            EventRules.check(type, data).stream().filter(e -> !named.contains(e.field())).forEach(errors::add);
        }
        errors.sort(Comparator.comparing(FieldError::field).thenComparing(FieldError::message));
        return List.copyOf(errors);
    }

    private static FieldError toFieldError(ValidationMessage m) {
        String location = m.getInstanceLocation().toString();
        String field = location.startsWith("$.") ? location.substring(2) : "";
        String keyword = m.getType();
        // "required" and "additionalProperties" are reported on the object; name the property itself
        if (("required".equals(keyword) || "additionalProperties".equals(keyword)) && m.getProperty() != null) {
            field = field.isEmpty() ? m.getProperty() : field + "." + m.getProperty();
        }
        return new FieldError(field, wording(m, keyword));
    }

    private static String wording(ValidationMessage m, String keyword) {
        return switch (keyword) {
            case "required" -> "is required";
            case "additionalProperties" -> "is not a known field";
            default -> stripLocation(m.getMessage());
        };
    }

    /** networknt prefixes messages with the instance location ("$.email: ..."); the field is named apart. */
    private static String stripLocation(String message) {
        int colon = message.indexOf(": ");
        return message.startsWith("$") && colon > 0 ? message.substring(colon + 2) : message;
    }
}
