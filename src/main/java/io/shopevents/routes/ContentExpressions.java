package io.shopevents.routes;

import com.fasterxml.jackson.databind.JsonNode;
import io.shopevents.subscription.SubscriptionEndpoint;
import io.shopevents.subscription.SubscriptionFilter;
import org.apache.camel.CamelContext;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.util.URISupport;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;

/**
 * The expressions Camel keeps as text until a route starts: a subscription's {@code filter}
 * (CloudEvents SQL) and {@code jq} (also through its Kamelet), its other options written as text
 * (rateLimit, retryDelays, pauseAfter, orderBy), and every jq and JSONPath expression of the
 * steps. Compiled when
 * the file is checked, so that a mistake is refused with its file and line before any running route
 * is touched, instead of failing the route's start.
 */
final class ContentExpressions {

    private static final List<String> LANGUAGES = List.of("jq", "jsonpath");

    private ContentExpressions() {
    }

    static List<String> problems(Path file, JsonNode document, ToIntFunction<String> lineOf) {
        List<String> problems = new ArrayList<>();
        DefaultCamelContext camel = new DefaultCamelContext();
        try {
            walk(document, "", (pointer, problem) -> problems.add(file + ":" + lineOf.applyAsInt(pointer) + ": " + problem), camel);
        } finally {
            camel.stop();
        }
        return problems;
    }

    private interface Problems {
        void add(String pointer, String problem);
    }

    private static void walk(JsonNode node, String pointer, Problems problems, CamelContext camel) {
        if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                walk(node.get(i), pointer + "/" + i, problems, camel);
            }
            return;
        }
        if (!node.isObject()) {
            return;
        }
        String uri = node.path("uri").asText("");
        boolean subscription = uri.startsWith("subscription:") || uri.startsWith("kamelet:shop-subscription-source");
        if (subscription) {
            subscription(node, pointer, problems, camel);
        }
        for (Iterator<Map.Entry<String, JsonNode>> fields = node.fields(); fields.hasNext(); ) {
            Map.Entry<String, JsonNode> field = fields.next();
            if (subscription && field.getKey().equals("parameters")) {
                // its jq is a condition the subscription runs, checked above (once)
                continue;
            }
            String at = pointer + "/" + field.getKey().replace("~", "~0").replace("/", "~1");
            JsonNode value = field.getValue();
            String text = value.isTextual() ? value.asText() : value.path("expression").isTextual() ? value.path("expression").asText() : null;
            if (LANGUAGES.contains(field.getKey()) && text != null) {
                compile(field.getKey(), text, camel).ifPresent(problem -> problems.add(at, field.getKey() + " '" + text + "': " + problem));
            } else {
                walk(value, at, problems, camel);
            }
        }
    }

    /** The subscription's filter and jq options, in its parameters or its URI. */
    private static void subscription(JsonNode endpoint, String pointer, Problems problems, CamelContext camel) {
        Map<String, Object> query;
        try {
            query = URISupport.parseQuery(URISupport.extractQuery(endpoint.path("uri").asText()));
        } catch (URISyntaxException e) {
            return;
        }
        JsonNode parameters = endpoint.path("parameters");
        String filter = option("filter", parameters, query);
        if (filter != null) {
            try {
                SubscriptionFilter.parseCesql(filter);
            } catch (IllegalArgumentException e) {
                problems.add(where("filter", pointer, parameters), e.getMessage());
            }
        }
        String jq = option("jq", parameters, query);
        if (jq != null) {
            compile("jq", jq, camel).ifPresent(problem -> problems.add(where("jq", pointer, parameters), "jq '" + jq + "': " + problem));
        }
        for (String name : SubscriptionEndpoint.CHECKED_OPTIONS) {
            String value = option(name, parameters, query);
            // a Kamelet's {{placeholder}} is its parameter's, checked where the Kamelet is used
            if (value != null && !value.isBlank() && !value.contains("{{")) {
                String problem = SubscriptionEndpoint.problem(name, value);
                if (problem != null) {
                    problems.add(where(name, pointer, parameters), problem);
                }
            }
        }
    }

    private static String option(String name, JsonNode parameters, Map<String, Object> query) {
        if (parameters.path(name).isValueNode()) {
            return parameters.get(name).asText();
        }
        Object value = query.get(name);
        return value == null ? null : value.toString();
    }

    private static String where(String option, String pointer, JsonNode parameters) {
        return parameters.has(option) ? pointer + "/parameters/" + option : pointer + "/uri";
    }

    /** The language's own compiler, as the route would use it; its message when the text is not valid. */
    private static java.util.Optional<String> compile(String language, String text, CamelContext camel) {
        try {
            if ("jsonpath".equals(language)) {
                // camel-jsonpath compiles on first use
                com.jayway.jsonpath.JsonPath.compile(text);
            } else {
                camel.resolveLanguage(language).createPredicate(text).init(camel);
            }
            return java.util.Optional.empty();
        } catch (RuntimeException e) {
            return java.util.Optional.of(SubscriptionFilter.deepest(e));
        }
    }
}
