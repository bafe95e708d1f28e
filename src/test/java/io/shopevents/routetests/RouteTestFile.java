package io.shopevents.routetests;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A route test file (routes/tests/&lt;name&gt;.yaml), read with the line of every test and step, so
 * that a failure names the line to look at. What a file may hold is in routes/tests/README.md.
 */
public record RouteTestFile(Path path, List<String> routes, Map<String, String> properties, List<Case> cases) {

    /** Where a test or a step is written: {@code routes/tests/order-status.yaml:12}. */
    public record Location(Path file, int line) {
        @Override
        public String toString() {
            return file.toString().replace('\\', '/') + ":" + line;
        }
    }

    /** One test: what is sent, then what must follow, each expectation within {@code within}. */
    public record Case(String name, Location location, Duration within, List<Step> send, List<Step> expect) {
    }

    /** One step: its kind (post, publish, get, mail, deadLetter, webhook, log) and its fields, as plain values. */
    public record Step(String kind, Location location, Map<String, Object> fields) {
    }

    static final Duration DEFAULT_WITHIN = Duration.ofSeconds(10);
    static final Map<String, Set<String>> SEND_STEPS = Map.of(
            "post", Set.of("body", "headers", "status"),
            "publish", Set.of("body", "headers"));
    static final Map<String, Set<String>> EXPECT_STEPS = Map.of(
            "get", Set.of("status", "body"),
            "mail", Set.of("subject", "text", "count"),
            "deadLetter", Set.of("subscription", "reason"),
            "webhook", Set.of("body", "headers", "count", "secret"),
            "log", Set.of());

    /** Reads a file; a file that breaks these rules is refused with its name and line. */
    public static RouteTestFile read(Path path) {
        Node root;
        try (Reader reader = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
            root = new Yaml(new LoaderOptions()).compose(reader);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (YAMLException e) {
            throw new InvalidRouteTestException(path + ": not YAML: " + e.getMessage());
        }
        if (!(root instanceof MappingNode top)) {
            throw new InvalidRouteTestException(at(path, root) + ": a route test file is a mapping with a list of tests under 'tests'");
        }
        Map<String, Node> entries = entries(path, top, Set.of("tests", "routes", "properties"));
        List<String> routes = new ArrayList<>();
        if (entries.containsKey("routes")) {
            for (Node route : sequence(path, entries.get("routes"), "routes")) {
                routes.add(text(path, route, "routes"));
            }
        }
        Map<String, String> properties = new LinkedHashMap<>();
        if (entries.containsKey("properties")) {
            for (Map.Entry<String, Node> property : entries(path, mapping(path, entries.get("properties"), "properties"), null).entrySet()) {
                properties.put(property.getKey(), String.valueOf(value(property.getValue())));
            }
        }
        if (!entries.containsKey("tests")) {
            throw new InvalidRouteTestException(at(path, top) + ": no 'tests'");
        }
        List<Case> cases = new ArrayList<>();
        for (Node test : sequence(path, entries.get("tests"), "tests")) {
            cases.add(readCase(path, test));
        }
        return new RouteTestFile(path, routes, properties, cases);
    }

    private static Case readCase(Path path, Node node) {
        Map<String, Node> fields = entries(path, mapping(path, node, "a test"), Set.of("name", "within", "send", "expect"));
        if (!fields.containsKey("name") || !fields.containsKey("expect")) {
            throw new InvalidRouteTestException(at(path, node) + ": a test has a 'name' and an 'expect' list (and usually a 'send' list)");
        }
        Duration within = fields.containsKey("within") ? duration(path, fields.get("within")) : DEFAULT_WITHIN;
        List<Step> send = fields.containsKey("send") ? steps(path, fields.get("send"), SEND_STEPS) : List.of();
        List<Step> expect = steps(path, fields.get("expect"), EXPECT_STEPS);
        return new Case(text(path, fields.get("name"), "name"), at(path, node), within, send, expect);
    }

    private static List<Step> steps(Path path, Node node, Map<String, Set<String>> kinds) {
        List<Step> steps = new ArrayList<>();
        for (Node step : sequence(path, node, "steps")) {
            MappingNode mapping = mapping(path, step, "a step");
            String kind = mapping.getValue().isEmpty() ? null : text(path, mapping.getValue().get(0).getKeyNode(), "step");
            if (kind == null || !kinds.containsKey(kind)) {
                throw new InvalidRouteTestException(at(path, step) + ": a step starts with one of " + kinds.keySet().stream().sorted().toList()
                        + (kind == null ? "" : ", not '" + kind + "'"));
            }
            Set<String> allowed = new java.util.HashSet<>(kinds.get(kind));
            allowed.add(kind);
            Map<String, Object> fields = new LinkedHashMap<>();
            entries(path, mapping, allowed).forEach((key, value) -> fields.put(key, value(value)));
            steps.add(new Step(kind, at(path, step), fields));
        }
        return steps;
    }

    /** A mapping's entries by key; with {@code allowed}, any other key is refused. */
    private static Map<String, Node> entries(Path path, MappingNode mapping, Set<String> allowed) {
        Map<String, Node> entries = new LinkedHashMap<>();
        for (NodeTuple tuple : mapping.getValue()) {
            String key = text(path, tuple.getKeyNode(), "key");
            if (allowed != null && !allowed.contains(key)) {
                throw new InvalidRouteTestException(at(path, tuple.getKeyNode()) + ": '" + key + "' is not one of "
                        + allowed.stream().sorted().toList());
            }
            entries.put(key, tuple.getValueNode());
        }
        return entries;
    }

    /** A node as plain Java: maps, lists, strings, numbers (BigDecimal or Long), booleans, null. */
    static Object value(Node node) {
        if (node instanceof MappingNode mapping) {
            Map<String, Object> map = new LinkedHashMap<>();
            for (NodeTuple tuple : mapping.getValue()) {
                map.put(String.valueOf(value(tuple.getKeyNode())), value(tuple.getValueNode()));
            }
            return map;
        }
        if (node instanceof SequenceNode sequence) {
            return sequence.getValue().stream().map(RouteTestFile::value).toList();
        }
        ScalarNode scalar = (ScalarNode) node;
        String text = scalar.getValue();
        Tag tag = scalar.getTag();
        try {
            if (Tag.INT.equals(tag)) {
                return Long.valueOf(text.replace("_", ""));
            }
            if (Tag.FLOAT.equals(tag)) {
                // 59.90 stays 59.90, not the double nearest to it
                return new BigDecimal(text.replace("_", ""));
            }
        } catch (NumberFormatException e) {
            // YAML 1.1's other spellings of numbers (0x1F, 1:30, .inf): kept as written
            return text;
        }
        if (Tag.BOOL.equals(tag)) {
            return Set.of("true", "yes", "y", "on").contains(text.toLowerCase());
        }
        if (Tag.NULL.equals(tag)) {
            return null;
        }
        return text;
    }

    private static MappingNode mapping(Path path, Node node, String what) {
        if (node instanceof MappingNode mapping) {
            return mapping;
        }
        throw new InvalidRouteTestException(at(path, node) + ": " + what + " is a mapping (key: value)");
    }

    private static List<Node> sequence(Path path, Node node, String what) {
        if (node instanceof SequenceNode sequence) {
            return sequence.getValue();
        }
        throw new InvalidRouteTestException(at(path, node) + ": " + what + " is a list (- item)");
    }

    private static String text(Path path, Node node, String what) {
        if (node instanceof ScalarNode scalar && !Tag.NULL.equals(scalar.getTag())) {
            return scalar.getValue();
        }
        throw new InvalidRouteTestException(at(path, node) + ": " + what + " is a text");
    }

    private static Duration duration(Path path, Node node) {
        String text = text(path, node, "within").trim();
        try {
            if (text.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(text.substring(0, text.length() - 2)));
            }
            if (text.endsWith("s")) {
                return Duration.ofSeconds(Long.parseLong(text.substring(0, text.length() - 1)));
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new InvalidRouteTestException(at(path, node) + ": within is a duration such as 5s or 500ms, not '" + text + "'");
    }

    /** Lines as an editor shows them (SnakeYAML counts from 0). */
    private static Location at(Path path, Node node) {
        return new Location(path, node == null ? 1 : node.getStartMark().getLine() + 1);
    }

    /** A route test file that breaks the rules, with where. */
    public static final class InvalidRouteTestException extends RuntimeException {
        InvalidRouteTestException(String message) {
            super(message);
        }
    }
}
