package io.shopevents.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.shopevents.event.CloudEvent;
import io.shopevents.event.CloudEvents;
import io.shopevents.event.FieldError;
import io.shopevents.event.InvalidEventException;
import io.shopevents.event.JsonDocuments;
import io.shopevents.event.EventKey;
import io.shopevents.rabbit.Publication;
import io.swagger.v3.oas.annotations.media.Schema;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.amqp.AmqpException;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * POST /api/events: a batch of CloudEvents (the CloudEvents JSON batch format, a JSON array,
 * Content-Type application/cloudevents-batch+json), up to {@value #MAX_EVENTS} events in at most
 * 1 MiB. Each item is checked as a single call would be (envelope, data against its type's schema,
 * the caller's scope for its type); the valid ones are published in request order on one channel
 * (eventPublisher, publish.camel.yaml); the answer gives each item's outcome in request order.
 */
@Component("eventBatches")
public class EventBatches {

    private static final Logger log = LoggerFactory.getLogger(EventBatches.class);
    public static final int MAX_EVENTS = 1000;
    public static final String MEDIA_TYPE = "application/cloudevents-batch+json";
    private static final String OUTCOMES_PROPERTY = "batchOutcomes";
    private static final String INDEXES_PROPERTY = "batchIndexes";
    private static final String PRODUCER_IDS_PROPERTY = "batchProducerIds";

    private final IncomingEvents incoming;
    private final ObjectMapper mapper;
    private final UnconfirmedEvents unconfirmed;

    public EventBatches(IncomingEvents incoming, ObjectMapper mapper, UnconfirmedEvents unconfirmed) {
        this.incoming = incoming;
        this.mapper = mapper;
        this.unconfirmed = unconfirmed;
    }

    /** What became of one item. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @Schema(description = "What became of one event of the batch: accepted (202, with its eventId) or refused (the problem).")
    public record Outcome(
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED, example = "0", description = "The event's place in the request, from 0.")
            int index,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED, example = "202",
                    description = "202: confirmed by the broker, it will be applied; 400: invalid; 403: the key lacks the scope"
                            + " of its type; 503: not confirmed, not accepted (send it again).")
            int status,
            @Schema(example = "443082ab-0069-4609-866c-c1e037e5c33c", description = "The event's id (accepted events).")
            String eventId,
            @Schema(example = "order_placed", description = "The event's type, if it had one.")
            String type,
            @Schema(description = "Why it was refused (refused events).")
            Problem problem) {
    }

    /** The answer: a count of each and every item's outcome, in request order. */
    @Schema(description = "The outcome of every event of the batch, in request order.")
    public record BatchOutcome(
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED, example = "99") int accepted,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED, example = "1") int refused,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) List<Outcome> events) {
    }

    /** One event of a batch, as the OpenAPI document describes it. */
    @Schema(description = "A CloudEvent in JSON (structured mode). id and source are kept if given (the event is"
            + " identified by both), else set as for a single call; time and subject likewise. Extension attributes"
            + " (lower-case letters and digits, at most 20 of them; a string, an integer or a boolean) are kept.")
    public record BatchEvent(
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED, allowableValues = "1.0") String specversion,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED, example = "order_placed",
                    description = "user_registered, order_placed, payment_processed or a custom type") String type,
            @Schema(maxLength = 128, example = "b3f1c0de-0001") String id,
            @Schema(maxLength = 256, example = "https://shop.example.com/checkout") String source,
            @Schema(maxLength = 256) String subject,
            @Schema(format = "date-time") String time,
            @Schema(example = "application/json") String datacontenttype,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED,
                    description = "The event's data, as the single call for its type takes it") JsonNode data) {
    }

    /**
     * Reads and checks the batch (the request body): the valid events, to be published in order
     * (eventPublisher); the outcome of each refused one is kept for {@link #outcome}. The call weighs
     * as many calls as it has valid events, or is refused at once (503) when they do not fit now.
     */
    public List<Publication> read(byte[] body, Exchange exchange) {
        if (!CloudEventHeaders.of(exchange).isEmpty()) {
            throw new BadRequestException("ce-* headers are the binary mode's, for one event; each event of a batch"
                    + " carries its attributes in the body");
        }
        JsonNode batch = JsonDocuments.read(mapper, body, "the request body");
        if (!batch.isArray()) {
            throw new BadRequestException("a batch is a JSON array of CloudEvents (Content-Type " + MEDIA_TYPE + ")");
        }
        if (batch.size() > MAX_EVENTS) {
            throw new PayloadTooLargeException("a batch holds at most " + MAX_EVENTS + " events; this one has " + batch.size());
        }
        Outcome[] outcomes = new Outcome[batch.size()];
        List<Publication> valid = new ArrayList<>();
        List<Integer> indexes = new ArrayList<>();
        Map<EventKey, Integer> seen = new HashMap<>();
        Set<EventKey> producerIds = new HashSet<>();
        for (int i = 0; i < batch.size(); i++) {
            try {
                CloudEvent event = incoming.check(batch.get(i), exchange, i);
                Integer earlier = seen.putIfAbsent(new EventKey(event.source(), event.id()), i);
                if (earlier != null) {
                    throw new InvalidEventException("the same event (source and id) as item " + earlier + " of this batch");
                }
                if (!unconfirmed.mayPublish(event.source(), event.id(), batch.get(i).hasNonNull("id"), exchange)) {
                    outcomes[i] = refused(i, event.type(), HttpStatus.SERVICE_UNAVAILABLE, "the broker did not confirm"
                            + " this event when the batch was first sent, so it was not accepted; send it again", List.of());
                    continue;
                }
                valid.add(new Publication(event));
                if (batch.get(i).hasNonNull("id")) {
                    producerIds.add(new EventKey(event.source(), event.id()));
                }
                indexes.add(i);
            } catch (InvalidEventException e) {
                outcomes[i] = refused(i, IncomingEvents.typeOf(batch.get(i)), HttpStatus.BAD_REQUEST, e.getMessage(), e.errors());
            } catch (ForbiddenException e) {
                outcomes[i] = refused(i, IncomingEvents.typeOf(batch.get(i)), HttpStatus.FORBIDDEN, e.getMessage(), List.of());
            }
        }
        Admission.Permit permit = exchange.getProperty(ApiCall.PERMIT_PROPERTY, Admission.Permit.class);
        if (permit != null && !permit.widen(valid.size())) {
            throw new AtCapacityException("the service is at capacity for a batch of " + valid.size()
                    + " events; retry in a second, or send smaller batches");
        }
        exchange.setProperty(OUTCOMES_PROPERTY, outcomes);
        exchange.setProperty(INDEXES_PROPERTY, indexes);
        exchange.setProperty(PRODUCER_IDS_PROPERTY, producerIds);
        return valid;
    }

    /**
     * The answer, once the valid events' confirms are in: each confirmed event is accepted; each
     * one not confirmed is withdrawn (a copy that reached a queue changes nothing) and refused with
     * 503, unless a subscription applied it meanwhile. If the broker took none, the call is a 503.
     */
    @SuppressWarnings("unchecked")
    public BatchOutcome outcome(List<Publication> published, Exchange exchange) {
        Outcome[] outcomes = exchange.getProperty(OUTCOMES_PROPERTY, Outcome[].class);
        List<Integer> indexes = exchange.getProperty(INDEXES_PROPERTY, List.class);
        Set<EventKey> producerIds = exchange.getProperty(PRODUCER_IDS_PROPERTY, Set.class);
        for (int i = 0; i < published.size(); i++) {
            Publication publication = published.get(i);
            int index = indexes.get(i);
            CloudEvent event = publication.event();
            // a confirmed event whose id is its producer's stays accepted unless a call with the same event was refused
            boolean accepted = publication.confirmed() && (!producerIds.contains(new EventKey(event.source(), event.id()))
                    || unconfirmed.accepted(event.source(), event.id()));
            UnconfirmedEvents.Fate fate = accepted ? UnconfirmedEvents.Fate.APPLIED
                    : unconfirmed.fateOf(event.source(), event.id(),
                    publication.confirmed() ? UnconfirmedEvents.WITHDRAWN_MEANWHILE : publication.failure(), exchange);
            if (fate == UnconfirmedEvents.Fate.UNKNOWN) {
                exchange.setProperty(CloudEvents.PUBLISHED_PROPERTY, true);
            }
            outcomes[index] = fate == UnconfirmedEvents.Fate.APPLIED
                    ? new Outcome(index, HttpStatus.ACCEPTED.value(), event.id(), event.type(), null)
                    : refused(index, event.type(), HttpStatus.SERVICE_UNAVAILABLE,
                    "the message broker did not confirm the event, so it was not accepted; send it again", List.of());
        }
        if (published.stream().anyMatch(p -> !p.confirmed())) {
            log.warn("{} of a batch's {} events were not confirmed by the broker ({}); withdrawn unless applied",
                    published.stream().filter(p -> !p.confirmed()).count(), published.size(),
                    published.stream().filter(p -> !p.confirmed()).findFirst().map(Publication::failure).orElse(""));
        }
        List<Outcome> all = List.of(outcomes);
        int accepted = (int) all.stream().filter(o -> o.status == HttpStatus.ACCEPTED.value()).count();
        if (accepted > 0) {
            exchange.setProperty(CloudEvents.PUBLISHED_PROPERTY, true);
        }
        if (accepted == 0 && !published.isEmpty()) {
            // the broker took none of them: the whole call is a 503, as a single call's would be
            throw new AmqpException("the broker confirmed none of the batch's " + published.size() + " valid events");
        }
        return new BatchOutcome(accepted, all.size() - accepted, all);
    }

    private static Outcome refused(int index, String type, HttpStatus status, String detail, List<FieldError> errors) {
        Problem problem = new Problem("about:blank", status.getReasonPhrase(), status.value(), detail,
                errors == null ? List.of() : errors);
        return new Outcome(index, status.value(), null, type, problem);
    }
}
