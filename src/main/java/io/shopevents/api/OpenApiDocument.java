package io.shopevents.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.openapi.OpenApiRestApiProcessorFactory;
import org.apache.camel.spi.RestApiProcessorFactory;
import org.apache.camel.spi.RestConfiguration;
import org.apache.camel.support.service.ServiceHelper;
import org.apache.camel.support.service.ServiceSupport;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;

/**
 * The OpenAPI document at /api/openapi.json: Camel writes it from the REST DSL (so routes added
 * in YAML appear in it); this puts in what the REST DSL cannot say, so that a generator can use
 * it as it is:
 * <ul>
 * <li>every error answer (4xx, 5xx) is {@code application/problem+json} with the Problem schema
 * (Camel gives each answer the verb's one media type);</li>
 * <li>the server is {@code shop.openapi.server-url} (default "/": the document's own host), not
 * the address the service listens on (0.0.0.0);</li>
 * <li>the bodies of replayDeadLetters and pauseSubscription are optional (Camel marks every body required);</li>
 * <li>POST /api/events says what each of its media types takes (a batch, one event, its data).</li>
 * </ul>
 */
@Component
public class OpenApiDocument implements RestApiProcessorFactory {

    private static final java.util.Set<String> OPTIONAL_BODIES = java.util.Set.of("replayDeadLetters", "pauseSubscription");

    private final ObjectMapper mapper;
    private final String serverUrl;

    public OpenApiDocument(ObjectMapper mapper, @Value("${shop.openapi.server-url:/}") String serverUrl) {
        this.mapper = mapper;
        this.serverUrl = serverUrl;
    }

    @Override
    public Processor createApiProcessor(CamelContext camelContext, String contextPath, RestConfiguration configuration,
                                        Map<String, Object> parameters) throws Exception {
        Processor camels = new OpenApiRestApiProcessorFactory().createApiProcessor(camelContext, contextPath, configuration, parameters);
        return new Amended(camels);
    }

    /** Camel's processor, its answer amended (once: the document is made when the routes start). */
    private final class Amended extends ServiceSupport implements Processor {
        private final Processor camels;
        private volatile byte[] amended;

        Amended(Processor camels) {
            this.camels = camels;
        }

        @Override
        protected void doInit() throws Exception {
            ServiceHelper.initService(camels);
        }

        @Override
        protected void doStart() throws Exception {
            ServiceHelper.startService(camels);
        }

        @Override
        protected void doStop() throws Exception {
            ServiceHelper.stopService(camels);
        }

        @Override
        public void process(Exchange exchange) throws Exception {
            camels.process(exchange);
            String type = exchange.getMessage().getHeader(Exchange.CONTENT_TYPE, String.class);
            if (type != null && !type.contains("json")) {
                return; // the YAML rendering: left as Camel writes it
            }
            if (amended == null) {
                amended = mapper.writerWithDefaultPrettyPrinter().writeValueAsBytes(amend(
                        mapper.readTree(exchange.getMessage().getBody(String.class))));
            }
            exchange.getMessage().setBody(amended);
            exchange.getMessage().setHeader(Exchange.CONTENT_LENGTH, amended.length);
        }
    }

    JsonNode amend(JsonNode document) {
        ObjectNode root = (ObjectNode) document;
        ArrayNode servers = root.putArray("servers");
        servers.addObject().put("url", serverUrl);
        root.remove("security"); // each operation says what it needs; the document's own list was doubled
        for (JsonNode path : iterable(root.path("paths"))) {
            for (JsonNode operation : iterable(path)) {
                if (!operation.has("security")) {
                    // an operation the REST DSL gave no security needs no key (the AsyncAPI document)
                    ((ObjectNode) operation).putArray("security");
                }
                if ("getAsyncApiDocument".equals(operation.path("operationId").asText())) {
                    ((ObjectNode) operation.at("/responses/200")).putObject("content").putObject("application/json")
                            .putObject("schema").put("type", "object").put("description", "An AsyncAPI 3.0 document.");
                }
                if (OPTIONAL_BODIES.contains(operation.path("operationId").asText()) && operation.has("requestBody")) {
                    ObjectNode body = (ObjectNode) operation.get("requestBody");
                    body.put("required", false);
                    // declared without consumes (a POST without a body has no Content-Type): it is JSON
                    JsonNode schema = body.path("content").elements().hasNext()
                            ? body.path("content").elements().next().path("schema") : null;
                    if (schema != null && !schema.isMissingNode()) {
                        body.putObject("content").putObject("application/json").set("schema", schema);
                    }
                }
                if ("publishEventBatch".equals(operation.path("operationId").asText())) {
                    oneEventBodies((ObjectNode) operation.path("requestBody").path("content"));
                }
                for (Iterator<Map.Entry<String, JsonNode>> responses = operation.path("responses").fields(); responses.hasNext(); ) {
                    Map.Entry<String, JsonNode> response = responses.next();
                    if (response.getKey().startsWith("4") || response.getKey().startsWith("5")) {
                        ObjectNode content = ((ObjectNode) response.getValue()).putObject("content");
                        content.putObject(Problem.MEDIA_TYPE).putObject("schema").put("$ref", "#/components/schemas/Problem");
                    }
                }
            }
        }
        return root;
    }

    /**
     * POST /api/events takes a batch, one event in structured mode or one in binary mode, by
     * Content-Type; Camel gives each media type the batch's schema.
     */
    private static void oneEventBodies(ObjectNode content) {
        if (content.has("application/cloudevents+json")) {
            ((ObjectNode) content.get("application/cloudevents+json")).putObject("schema")
                    .put("$ref", "#/components/schemas/BatchEvent");
        }
        for (String binary : new String[] {"application/json", "application/*+json"}) {
            if (content.has(binary)) {
                ((ObjectNode) content.get(binary)).putObject("schema").put("type", "object")
                        .put("description", "Binary mode: the event's data, its attributes in ce-* headers (ce-specversion,"
                                + " ce-type, ce-id, ce-source, ce-time, ce-subject, extensions).");
            }
        }
    }

    private static Iterable<JsonNode> iterable(JsonNode node) {
        return node::elements;
    }
}
