package io.shopevents.event;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The event types an integrator has added without Java: each is listed in
 * shop.custom-events.types and has its JSON Schema in shop.custom-events.schema-dir
 * (schemas/&lt;type&gt;.json). They are accepted at POST /api/events/{type} and taken by the
 * subscriptions whose route files name them (routes/order-shipped.camel.yaml).
 */
@Component
public class CustomEventTypes {

    /** Safe as a routing key, a file name and an endpoint name. */
    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_]{0,63}");

    private final Set<String> types = new LinkedHashSet<>();
    private final Path schemaDir;

    public CustomEventTypes(@Value("${shop.custom-events.types:}") List<String> types,
                            @Value("${shop.custom-events.schema-dir}") Path schemaDir) {
        this.schemaDir = schemaDir;
        for (String type : types) {
            String name = type.strip();
            if (name.isEmpty()) {
                continue;
            }
            if (!NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("shop.custom-events.types: '" + name
                        + "' is not a valid event type name (lower case letters, digits and _, starting with a letter)");
            }
            if (EventType.byName(name).isPresent()) {
                throw new IllegalArgumentException("shop.custom-events.types: '" + name + "' is a built-in event type");
            }
            this.types.add(name);
        }
    }

    public Set<String> names() {
        return types;
    }

    public boolean contains(String type) {
        return types.contains(type);
    }

    /** Where the schema of a custom type lives. */
    public Path schemaOf(String type) {
        return schemaDir.resolve(type + ".json");
    }

    /** Where the API takes events of a custom type, under /api; the events' source ends with it. */
    public static String path(String type) {
        return "/events/" + type;
    }
}
