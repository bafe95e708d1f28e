package io.shopevents.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.shopevents.event.CloudEvent;
import io.shopevents.event.CloudEvents;
import io.shopevents.event.JsonDocuments;
import org.apache.camel.Exchange;
import org.apache.camel.Header;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;

import java.util.Map;

/**
 * {@code POST /api/events} with one CloudEvent, in either mode of the HTTP protocol binding:
 * <b>structured</b> ({@code Content-Type: application/cloudevents+json}, the whole event as the
 * body) or <b>binary</b> (the attributes in {@code ce-*} headers, the data as the body, its
 * Content-Type the event's datacontenttype). A batch ({@code application/cloudevents-batch+json})
 * goes to {@link EventBatches}. The event is checked as an item of a batch is
 * ({@link IncomingEvents}), and published like a single call's.
 */
@Component("singleEvents")
public class SingleEvents {

    static final String STRUCTURED = "cloudevents+json";

    private final IncomingEvents incoming;
    private final ObjectMapper mapper;

    public SingleEvents(IncomingEvents incoming, ObjectMapper mapper) {
        this.incoming = incoming;
        this.mapper = mapper;
    }

    /** Whether the call is a batch, by its Content-Type. */
    public boolean isBatch(@Header(Exchange.CONTENT_TYPE) String contentType) {
        return "cloudevents-batch+json".equalsIgnoreCase(subtype(contentType));
    }

    /** The event to publish; its type, id and source are kept for the answer. */
    public CloudEvent read(byte[] body, Exchange exchange) {
        String contentType = exchange.getMessage().getHeader(Exchange.CONTENT_TYPE, String.class);
        Map<String, String> attributes = CloudEventHeaders.of(exchange);
        JsonNode item;
        if (STRUCTURED.equalsIgnoreCase(subtype(contentType))) {
            if (!attributes.isEmpty()) {
                throw new BadRequestException("ce-* headers are the binary mode's; in structured mode"
                        + " (application/cloudevents+json) every attribute is in the body");
            }
            item = JsonDocuments.read(mapper, body, "the request body");
            if (!item.isObject()) {
                throw new BadRequestException("one CloudEvent in structured mode is a JSON object; a batch is a JSON"
                        + " array sent as application/cloudevents-batch+json");
            }
        } else if (attributes.containsKey("specversion")) {
            item = binary(attributes, contentType, body);
        } else {
            throw new UnsupportedMediaTypeException("POST /api/events takes a batch (Content-Type:"
                    + " application/cloudevents-batch+json), one CloudEvent in structured mode (Content-Type:"
                    + " application/cloudevents+json), or one in binary mode (its attributes in ce-* headers, at least"
                    + " ce-specversion, ce-type, and the data as the body)"
                    + (attributes.isEmpty() ? "" : "; this call has ce-* headers but no ce-specversion"));
        }
        CloudEvent event = incoming.check(item, exchange, 0);
        exchange.setProperty(CloudEvents.TYPE_PROPERTY, event.type());
        exchange.setProperty(CloudEvents.ID_PROPERTY, event.id());
        exchange.setProperty(CloudEvents.SOURCE_PROPERTY, event.source());
        exchange.setProperty(UnconfirmedEvents.PRODUCER_ID_PROPERTY, item.hasNonNull("id"));
        return event;
    }

    /** The event as structured mode would have it: each ce- header an attribute, the body its data. */
    private JsonNode binary(Map<String, String> attributes, String contentType, byte[] body) {
        if (attributes.containsKey("data") || attributes.containsKey("data_base64")) {
            throw new BadRequestException("in binary mode the data is the body, never a ce- header");
        }
        ObjectNode event = mapper.createObjectNode();
        attributes.forEach(event::put);
        event.put("datacontenttype", contentType);
        event.set("data", JsonDocuments.read(mapper, body, "the request body (the event's data)"));
        return event;
    }

    private static String subtype(String contentType) {
        try {
            MediaType type = MediaType.parseMediaType(contentType);
            return "application".equalsIgnoreCase(type.getType()) ? type.getSubtype() : "";
        } catch (RuntimeException e) {
            return "";
        }
    }
}
