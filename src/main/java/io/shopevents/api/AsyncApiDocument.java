package io.shopevents.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.shopevents.event.CloudEvent;
import io.shopevents.event.EventDataValidator;
import io.shopevents.event.OperationalEventType;
import io.shopevents.rabbit.FailureHeaders;
import io.shopevents.rabbit.RabbitTopology;
import io.shopevents.subscription.Subscription;
import io.shopevents.subscription.SubscriptionConsumer;
import io.shopevents.subscription.SubscriptionRegistry;
import org.springframework.boot.autoconfigure.amqp.RabbitProperties;
import org.springframework.boot.info.BuildProperties;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;

import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The event side as an AsyncAPI 3.0 document (GET /api/asyncapi.json), built from the running
 * configuration on every call: the exchange with one channel per event type (its routing key) and
 * the type's JSON Schema inside the CloudEvents envelope, the service's publishing of each type,
 * each subscription's queue and the types it takes (a subscription added at run time appears),
 * and the dead letters. What /api/openapi.json is for the REST side.
 */
@Component("asyncApiDocument")
public class AsyncApiDocument {

    private static final String AMQP_BINDING_VERSION = "0.3.0";
    private static final java.util.Set<String> NAME_MAPS = java.util.Set.of("properties", "patternProperties", "$defs",
            "definitions", "dependentSchemas");

    private final ObjectMapper mapper;
    private final EventDataValidator types;
    private final SubscriptionRegistry subscriptions;
    private final RabbitProperties rabbit;
    private final String version;

    public AsyncApiDocument(ObjectMapper mapper, EventDataValidator types, SubscriptionRegistry subscriptions,
                            RabbitProperties rabbit, ObjectProvider<BuildProperties> build) {
        this.mapper = mapper;
        this.types = types;
        this.subscriptions = subscriptions;
        this.rabbit = rabbit;
        BuildProperties properties = build.getIfAvailable();
        this.version = properties == null ? "dev" : properties.getVersion();
    }

    public ObjectNode document() {
        ObjectNode doc = mapper.createObjectNode();
        doc.put("asyncapi", "3.0.0");
        doc.putObject("info")
                .put("title", "shop-events: the events")
                .put("version", version)
                .put("description", "Every event is a CloudEvent 1.0 (structured JSON; binary mode is read too) published to"
                        + " the topic exchange " + RabbitTopology.EXCHANGE + " with its type as the routing key. Each"
                        + " subscription takes the types it needs from a quorum queue of its own. The REST side:"
                        + " /api/openapi.json.");
        doc.put("defaultContentType", CloudEvent.STRUCTURED_JSON);
        servers(doc.putObject("servers"));

        ObjectNode channels = doc.putObject("channels");
        ObjectNode operations = doc.putObject("operations");
        ObjectNode components = doc.putObject("components");
        ObjectNode messages = components.putObject("messages");
        ObjectNode schemas = components.putObject("schemas");
        schemas.set("CloudEvent", envelope(null));

        for (String type : new TreeSet<>(types.types())) {
            schemas.set(type, envelope(dataSchema(type)));
            ObjectNode message = messages.putObject(type);
            message.put("name", type).put("title", type).put("contentType", CloudEvent.STRUCTURED_JSON);
            message.putObject("payload").put("$ref", "#/components/schemas/" + type);
            message.putObject("bindings").putObject("amqp").put("messageType", type).put("bindingVersion", AMQP_BINDING_VERSION);

            ObjectNode channel = channels.putObject(type);
            channel.put("address", type);
            channel.put("description", type + " events on " + RabbitTopology.EXCHANGE + " (routing key " + type + ")");
            channel.putObject("messages").putObject(type).put("$ref", "#/components/messages/" + type);
            ObjectNode exchange = channel.putObject("bindings").putObject("amqp");
            exchange.put("is", "routingKey");
            exchange.putObject("exchange").put("name", RabbitTopology.EXCHANGE).put("type", "topic")
                    .put("durable", true).put("autoDelete", false).put("vhost", vhost());
            exchange.put("bindingVersion", AMQP_BINDING_VERSION);

            ObjectNode publish = operations.putObject("publish-" + type);
            publish.put("action", "send");
            publish.putObject("channel").put("$ref", "#/channels/" + type);
            publish.put("summary", OperationalEventType.byName(type)
                    .map(operational -> "The service publishes its own " + type + " event " + operational.when() + ".")
                    .orElse("The service publishes a " + type + " event, confirmed by the broker, for each accepted call"
                            + " (202) of the REST API."));
        }

        for (SubscriptionConsumer consumer : subscriptions.consumers()) {
            subscription(consumer.subscription(), channels, operations);
        }
        deadLetters(channels, operations, messages);
        return doc;
    }

    private void servers(ObjectNode servers) {
        List<String> addresses = rabbit.determineAddresses();
        for (int i = 0; i < addresses.size(); i++) {
            servers.putObject(addresses.size() == 1 ? "rabbitmq" : "rabbitmq-" + (i + 1))
                    .put("host", addresses.get(i).strip().replaceFirst("^amqps?://", "").replaceFirst("^[^@]*@", ""))
                    .put("protocol", rabbit.getSsl().determineEnabled() ? "amqps" : "amqp")
                    .put("protocolVersion", "0-9-1");
        }
    }

    private String vhost() {
        String vhost = rabbit.determineVirtualHost();
        return vhost == null || vhost.isEmpty() ? "/" : vhost;
    }

    /** A subscription: its queue as a channel, bound once per type it takes, and its receiving. */
    private void subscription(Subscription subscription, ObjectNode channels, ObjectNode operations) {
        String key = "subscription-" + subscription.name();
        ObjectNode channel = channels.putObject(key);
        channel.put("address", subscription.queue());
        channel.put("description", "The queue of subscription " + subscription.name() + ", bound to "
                + RabbitTopology.EXCHANGE + " with the routing keys " + String.join(", ", new TreeSet<>(subscription.types()))
                + ". A failure goes back to it after a delay (" + RabbitTopology.RETRY_EXCHANGE + "), then to "
                + RabbitTopology.DEAD_LETTER_QUEUE + ".");
        ObjectNode taken = channel.putObject("messages");
        for (String type : new TreeSet<>(subscription.types())) {
            taken.putObject(type).put("$ref", "#/components/messages/" + type);
        }
        ObjectNode queue = channel.putObject("bindings").putObject("amqp");
        queue.put("is", "queue");
        queue.putObject("queue").put("name", subscription.queue()).put("durable", true).put("exclusive", false)
                .put("autoDelete", false).put("vhost", vhost());
        queue.put("bindingVersion", AMQP_BINDING_VERSION);

        ObjectNode receive = operations.putObject(key);
        receive.put("action", "receive");
        receive.putObject("channel").put("$ref", "#/channels/" + key);
        receive.put("summary", "Subscription " + subscription.name() + " takes "
                + String.join(", ", new TreeSet<>(subscription.types())) + " with " + subscription.consumers()
                + " consumer(s), prefetch " + subscription.prefetch() + ", at most " + subscription.maxAttempts() + " attempts.");
        receive.putObject("bindings").putObject("amqp").put("ack", true).put("bindingVersion", AMQP_BINDING_VERSION);
    }

    private void deadLetters(ObjectNode channels, ObjectNode operations, ObjectNode messages) {
        ObjectNode message = messages.putObject("deadLetter");
        message.put("name", "deadLetter").put("title", "A dead letter")
                .put("summary", "An event a subscription could not process, as it was, with why in its headers;"
                        + " listed and replayed by GET /api/dead-letters and POST /api/dead-letters/replay.");
        message.putObject("payload").put("$ref", "#/components/schemas/CloudEvent");
        ObjectNode headers = message.putObject("headers");
        headers.put("type", "object");
        ObjectNode properties = headers.putObject("properties");
        for (Map.Entry<String, String> header : Map.of(
                FailureHeaders.SUBSCRIPTION, "The subscription that failed it.",
                FailureHeaders.ATTEMPTS, "Attempts made.",
                FailureHeaders.ROUTING_KEY, "Its routing key (event type).",
                FailureHeaders.EXCEPTION_CLASS, "What failed.",
                FailureHeaders.EXCEPTION_MESSAGE, "Why.",
                FailureHeaders.FAILED_ROUTE, "The route whose step failed.",
                FailureHeaders.FAILED_AT, "When (ISO 8601).",
                FailureHeaders.DEAD_LETTER_ID, "The letter's own id, for replay.").entrySet()) {
            properties.putObject(header.getKey()).put("description", header.getValue())
                    .put("type", FailureHeaders.ATTEMPTS.equals(header.getKey()) ? "integer" : "string");
        }
        ObjectNode channel = channels.putObject("dead-letters");
        channel.put("address", RabbitTopology.DEAD_LETTER_QUEUE);
        channel.put("description", "Dead letters of every subscription (through " + RabbitTopology.DEAD_LETTER_EXCHANGE + ").");
        channel.putObject("messages").putObject("deadLetter").put("$ref", "#/components/messages/deadLetter");
        ObjectNode queue = channel.putObject("bindings").putObject("amqp");
        queue.put("is", "queue");
        queue.putObject("queue").put("name", RabbitTopology.DEAD_LETTER_QUEUE).put("durable", true)
                .put("exclusive", false).put("autoDelete", false).put("vhost", vhost());
        queue.put("bindingVersion", AMQP_BINDING_VERSION);
        ObjectNode receive = operations.putObject("dead-letters");
        receive.put("action", "receive");
        receive.putObject("channel").put("$ref", "#/channels/dead-letters");
        receive.put("summary", "Operators list and replay them through the REST API.");
    }

    /** The CloudEvents envelope, with the type's data schema in data (or any data). */
    private ObjectNode envelope(JsonNode data) {
        ObjectNode schema = mapper.createObjectNode();
        schema.put("type", "object");
        ArrayNode required = schema.putArray("required");
        List.of("specversion", "id", "source", "type").forEach(required::add);
        ObjectNode properties = schema.putObject("properties");
        properties.putObject("specversion").put("type", "string").put("const", "1.0");
        properties.putObject("id").put("type", "string").put("description", "Unique per source: source + id identify an event.");
        properties.putObject("source").put("type", "string").put("format", "uri-reference");
        properties.putObject("type").put("type", "string");
        properties.putObject("subject").put("type", "string");
        properties.putObject("time").put("type", "string").put("format", "date-time");
        properties.putObject("datacontenttype").put("type", "string");
        properties.putObject("traceparent").put("type", "string").put("pattern", "^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")
                .put("description", "CloudEvents distributed tracing extension: the W3C trace context the event was"
                        + " created in (the AMQP header traceparent carries the publish's own span).");
        if (data == null) {
            properties.putObject("data");
        } else {
            properties.set("data", data);
        }
        return schema;
    }

    /** The type's schema without what belongs to its file ($schema, $id) and the wording of its 400 answers. */
    private JsonNode dataSchema(String type) {
        JsonNode schema = types.schemaOf(type).deepCopy();
        strip(schema, false);
        return schema;
    }

    /** Keywords out, recursively; in a map of names (properties, $defs) a key is a name, never a keyword. */
    private static void strip(JsonNode node, boolean mapOfNames) {
        if (node instanceof ObjectNode object) {
            if (!mapOfNames) {
                object.remove(List.of("$schema", "$id", "message"));
            }
            for (Iterator<Map.Entry<String, JsonNode>> fields = object.fields(); fields.hasNext(); ) {
                Map.Entry<String, JsonNode> field = fields.next();
                strip(field.getValue(), !mapOfNames && NAME_MAPS.contains(field.getKey()));
            }
        } else if (node instanceof ArrayNode array) {
            array.forEach(item -> strip(item, false));
        }
    }
}
