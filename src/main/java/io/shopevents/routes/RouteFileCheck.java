package io.shopevents.routes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.PathType;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks a YAML route file the way an integrator needs it checked: against the Camel YAML DSL
 * JSON Schema that camel-yaml-dsl ships ({@code schema/camelYamlDsl.json}, the one editors and
 * Kaoto use), then by loading it with Camel's own YAML loader into a scratch CamelContext, then
 * by compiling its content expressions ({@link ContentExpressions}). Every problem names the file
 * and line. The build runs it on every file under routes/, and route
 * reloading runs it before it touches the running routes.
 */
public final class RouteFileCheck {

    private static final String SCHEMA = "schema/camelYamlDsl.json";

    private final JsonSchema schema;

    public RouteFileCheck() {
        SchemaValidatorsConfig config = SchemaValidatorsConfig.builder().pathType(PathType.JSON_POINTER).preloadJsonSchema(false).build();
        try (InputStream in = RouteFileCheck.class.getClassLoader().getResourceAsStream(SCHEMA)) {
            if (in == null) {
                throw new IllegalStateException(SCHEMA + " is not on the classpath (it comes with camel-yaml-dsl)");
            }
            schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4).getSchema(in, config);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * What a route file declares: its routes' ids and the subscriptions it consumes (with their
     * lines), whether it holds more than routes, and whether other routes call its routes (from
     * direct: or seda:, as publish.camel.yaml's).
     */
    public record Contents(Map<String, Integer> routeIds, boolean restOrConfiguration, boolean calledByOtherRoutes,
                           Map<String, Integer> subscriptions) {
    }

    /** Endpoints a route is called at by other routes of this application: gone for a moment on reload. */
    private static final List<String> CALLED_ENDPOINTS = List.of("direct:", "seda:");

    /**
     * What the file declares, read as YAML: the explicit ids of its routes, and whether it holds
     * REST definitions or route configurations (which other files' routes use). Empty for a file
     * that is not YAML (its problems say why).
     */
    public Contents contents(String text) {
        Map<String, Integer> lines = new HashMap<>();
        JsonNode document;
        try {
            Node root = new Yaml(new LoaderOptions()).compose(new java.io.StringReader(text));
            document = root == null ? JsonNodeFactory.instance.arrayNode() : toJson(root, "", lines);
        } catch (RuntimeException e) {
            return new Contents(Map.of(), false, false, Map.of());
        }
        Map<String, Integer> ids = new java.util.LinkedHashMap<>();
        Map<String, Integer> subscriptions = new java.util.LinkedHashMap<>();
        boolean more = false;
        boolean called = false;
        for (int i = 0; i < document.size(); i++) {
            JsonNode item = document.get(i);
            if (item.path("route").path("id").isTextual()) {
                ids.put(item.get("route").get("id").asText(), lineOf("/" + i + "/route/id", lines));
            }
            more |= item.has("rest") || item.has("routeConfiguration");
            String from = item.path("route").path("from").path("uri").asText("");
            called |= CALLED_ENDPOINTS.stream().anyMatch(from::startsWith);
            String subscription = from.startsWith("subscription:") ? from.substring("subscription:".length()).split("\\?")[0]
                    : from.startsWith("kamelet:shop-subscription-source") ? item.path("route").path("from").path("parameters")
                    .path("name").asText(null) : null;
            if (subscription != null) {
                subscriptions.put(subscription, lineOf("/" + i + "/route/from/uri", lines));
            }
        }
        return new Contents(ids, more, called, subscriptions);
    }

    /** Every problem of the file as "file:line: message"; empty when it is a valid route file. */
    public List<String> problems(Path file) {
        Map<String, Integer> lines = new HashMap<>();
        JsonNode document;
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            Node root = new Yaml(new LoaderOptions()).compose(reader);
            document = root == null ? JsonNodeFactory.instance.arrayNode() : toJson(root, "", lines);
        } catch (IOException e) {
            return List.of(file + ": cannot be read: " + e.getMessage());
        } catch (RuntimeException e) {
            // not YAML at all: SnakeYAML's message says where
            return List.of(file + ": is not valid YAML: " + e.getMessage());
        }
        List<String> problems = new ArrayList<>();
        for (ValidationMessage message : mostSpecific(schema.validate(document))) {
            String pointer = message.getInstanceLocation().toString();
            problems.add(file + ":" + lineOf(pointer, lines) + ": " + message.getMessage());
        }
        if (problems.isEmpty()) {
            load(file).ifPresent(problems::add);
        }
        if (problems.isEmpty()) {
            problems.addAll(ContentExpressions.problems(file, document, pointer -> lineOf(pointer, lines)));
        }
        return problems;
    }

    /**
     * The schema tries every alternative of a oneOf (each expression language, say) and reports
     * each failure; the one that tells what is wrong is the deepest. So: keep only the messages of
     * the deepest locations, and there prefer a concrete rule to "none of the alternatives fit".
     */
    private static List<ValidationMessage> mostSpecific(Collection<ValidationMessage> messages) {
        List<ValidationMessage> deepest = messages.stream()
                .filter(m -> messages.stream().noneMatch(o -> isBelow(o, m)))
                .toList();
        return deepest.stream()
                .filter(m -> !ALTERNATIVES.contains(m.getType()) || deepest.stream().noneMatch(
                        o -> location(o).equals(location(m)) && !ALTERNATIVES.contains(o.getType())))
                .distinct()
                .toList();
    }

    private static final Set<String> ALTERNATIVES = Set.of("oneOf", "anyOf", "not", "required");

    private static boolean isBelow(ValidationMessage other, ValidationMessage message) {
        return location(other).startsWith(location(message) + "/");
    }

    private static String location(ValidationMessage message) {
        return message.getInstanceLocation().toString();
    }

    /** Camel's own loader; its messages carry the line and column. */
    private static java.util.Optional<String> load(Path file) {
        try (DefaultCamelContext context = new DefaultCamelContext()) {
            PluginHelper.getRoutesLoader(context)
                    .loadRoutes(ResourceHelper.resolveMandatoryResource(context, "file:" + file));
            return java.util.Optional.empty();
        } catch (Exception e) {
            Throwable cause = e;
            while (cause.getCause() != null && cause.getMessage() != null && cause.getMessage().startsWith("Error pre-parsing")) {
                cause = cause.getCause();
            }
            return java.util.Optional.of(file + ": " + cause.getMessage().strip());
        }
    }

    /** The line of the deepest node the pointer reaches (1-based). */
    private static int lineOf(String pointer, Map<String, Integer> lines) {
        String path = pointer;
        while (!lines.containsKey(path) && !path.isEmpty()) {
            path = path.substring(0, Math.max(0, path.lastIndexOf('/')));
        }
        return lines.getOrDefault(path, 1);
    }

    /** The YAML tree as JSON, remembering the line of each node by its JSON pointer. */
    private static JsonNode toJson(Node node, String pointer, Map<String, Integer> lines) {
        lines.put(pointer, node.getStartMark().getLine() + 1);
        if (node instanceof MappingNode mapping) {
            ObjectNode object = JsonNodeFactory.instance.objectNode();
            for (NodeTuple tuple : mapping.getValue()) {
                String key = ((ScalarNode) tuple.getKeyNode()).getValue();
                String child = pointer + "/" + key.replace("~", "~0").replace("/", "~1");
                if (object.has(key)) {
                    // YAML wants keys unique; a loader keeps one of the two silently, an integrator meant both
                    throw new IllegalArgumentException("the key '" + key + "' appears twice in one mapping, on lines "
                            + lines.get(child) + " and " + (tuple.getKeyNode().getStartMark().getLine() + 1));
                }
                lines.put(child, tuple.getKeyNode().getStartMark().getLine() + 1);
                object.set(key, toJson(tuple.getValueNode(), child, lines));
                lines.put(child, tuple.getKeyNode().getStartMark().getLine() + 1);
            }
            return object;
        }
        if (node instanceof SequenceNode sequence) {
            ArrayNode array = JsonNodeFactory.instance.arrayNode();
            List<Node> items = sequence.getValue();
            for (int i = 0; i < items.size(); i++) {
                array.add(toJson(items.get(i), pointer + "/" + i, lines));
            }
            return array;
        }
        ScalarNode scalar = (ScalarNode) node;
        String value = scalar.getValue();
        Tag tag = scalar.getTag();
        if (Tag.NULL.equals(tag)) {
            return JsonNodeFactory.instance.nullNode();
        }
        if (Tag.BOOL.equals(tag)) {
            return JsonNodeFactory.instance.booleanNode(Boolean.parseBoolean(value));
        }
        if (Tag.INT.equals(tag)) {
            try {
                return JsonNodeFactory.instance.numberNode(Long.parseLong(value));
            } catch (NumberFormatException e) {
                return JsonNodeFactory.instance.textNode(value);
            }
        }
        if (Tag.FLOAT.equals(tag)) {
            try {
                return JsonNodeFactory.instance.numberNode(new java.math.BigDecimal(value));
            } catch (NumberFormatException e) {
                return JsonNodeFactory.instance.textNode(value);
            }
        }
        return JsonNodeFactory.instance.textNode(value);
    }
}
