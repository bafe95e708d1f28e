package io.shopevents.rabbit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.AMQP;
import io.micrometer.tracing.Span;
import io.shopevents.event.CloudEvent;
import io.shopevents.tracing.EventTracing;
import org.apache.camel.AsyncCallback;
import org.apache.camel.AsyncProcessor;
import org.apache.camel.Exchange;
import org.apache.camel.support.AsyncProcessorSupport;
import org.slf4j.MDC;
import org.springframework.amqp.AmqpException;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Publishes what the exchange holds to shop.events and goes on once the broker has confirmed it,
 * without a thread waiting for the confirm: the route's next steps run when the confirm (or its
 * absence within shop.publish.confirm-timeout) completes its future. The body is one
 * {@link CloudEvent} (a single call: not confirmed, the exchange fails, and the route withdraws the
 * event and answers 503), or a list of {@link Publication}s (a batch: published in order on one
 * channel, each one's outcome filled in).
 *
 * <p>Each event travels in structured mode (application/cloudevents+json), persistent, the event
 * type as routing key, its id as message_id (when it fits an AMQP short string), the call's
 * correlation id and trace context as properties, the time it was published as timestamp.
 */
@Component("eventPublisher")
public class EventPublisher extends AsyncProcessorSupport implements AsyncProcessor, DisposableBean {

    /** The exchange property holding the call's correlation id (CorrelationIds.KEY). */
    static final String CORRELATION_PROPERTY = "correlationId";
    private static final int AMQP_SHORT_STRING = 255;

    private final ConfirmingChannels channels;
    private final ObjectMapper mapper;
    private final EventTracing tracing;
    private final long confirmTimeout;
    /** Where a call goes on once its confirms are in: never the connection's own thread. */
    private final ExecutorService continuations;

    public EventPublisher(RabbitConnections connections, ObjectMapper mapper, EventTracing tracing,
                          @Value("${shop.publish.confirm-timeout}") long confirmTimeout,
                          @Value("${shop.publish.channels}") int channels,
                          @Value("${shop.publish.continuation-threads}") int threads) {
        this.channels = new ConfirmingChannels(connections.publisher(), channels);
        this.mapper = mapper;
        this.tracing = tracing;
        this.confirmTimeout = confirmTimeout;
        AtomicInteger count = new AtomicInteger();
        this.continuations = Executors.newFixedThreadPool(threads, r -> {
            Thread thread = new Thread(r, "confirmed-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
    }

    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        Object body = exchange.getMessage().getBody();
        boolean single = body instanceof CloudEvent;
        List<Publication> publications = single ? List.of(new Publication((CloudEvent) body)) : publications(body);
        if (publications.isEmpty()) {
            callback.done(true);
            return true;
        }
        String correlationId = exchange.getProperty(CORRELATION_PROPERTY, String.class);
        Span span = tracing.startChild("publish " + RabbitTopology.EXCHANGE, Span.Kind.PRODUCER);
        CompletableFuture<?>[] confirms;
        try {
            List<ConfirmingChannels.Outgoing> messages = publications.stream()
                    .map(p -> message(p.event(), correlationId, span)).toList();
            confirms = channels.publish(messages).toArray(CompletableFuture<?>[]::new);
        } catch (IOException | AmqpException | IllegalStateException e) {
            // the broker is unreachable, or the publish itself was refused: nothing was sent
            span.error(e);
            span.end();
            exchange.setException(e);
            callback.done(true);
            return true;
        }
        Span call = tracing.current();
        String mdc = MDC.get(CORRELATION_PROPERTY);
        CompletableFuture.allOf(confirms)
                .completeOnTimeout(null, confirmTimeout, TimeUnit.MILLISECONDS)
                .whenCompleteAsync((ignored, failure) -> {
                    MDC.put(CORRELATION_PROPERTY, mdc);
                    var scope = call == null ? null : tracing.inScope(call);
                    try {
                        settle(publications, confirms);
                        Publication first = publications.get(0);
                        if (single && !first.confirmed()) {
                            Exception failed = first.failure().startsWith("no confirm")
                                    ? new TimeoutException(first.failure()) : new AmqpException(first.failure());
                            span.error(failed);
                            exchange.setException(failed);
                        }
                    } catch (RuntimeException e) {
                        exchange.setException(e);
                    } finally {
                        // whatever happened, the route goes on (in the call's trace): a call is always answered
                        span.end();
                        try {
                            callback.done(false);
                        } finally {
                            if (scope != null) {
                                scope.close();
                            }
                            MDC.remove(CORRELATION_PROPERTY);
                        }
                    }
                }, continuations);
        return false;
    }

    /**
     * Publishes one event outside any route (the service's own operational events): true once the
     * broker confirmed it, false if it did not within shop.publish.confirm-timeout or refused it.
     */
    public CompletableFuture<Boolean> publish(CloudEvent event) {
        Span span = tracing.startChild("publish " + RabbitTopology.EXCHANGE, Span.Kind.PRODUCER);
        try {
            return channels.publish(List.of(message(event, null, span))).get(0)
                    .completeOnTimeout(false, confirmTimeout, TimeUnit.MILLISECONDS)
                    .whenComplete((confirmed, failure) -> span.end());
        } catch (IOException | AmqpException | IllegalStateException e) {
            span.error(e);
            span.end();
            return CompletableFuture.completedFuture(false);
        }
    }

    /** Each publication's outcome, as far as its confirm came. */
    private void settle(List<Publication> publications, CompletableFuture<?>[] confirms) {
        for (int i = 0; i < publications.size(); i++) {
            CompletableFuture<?> confirm = confirms[i];
            if (!confirm.isDone()) {
                publications.get(i).confirmed(false, "no confirm from the broker within " + confirmTimeout + " ms");
            } else if (Boolean.TRUE.equals(confirm.join())) {
                publications.get(i).confirmed(true, null);
            } else {
                publications.get(i).confirmed(false, "the broker did not take it (a nack, or the channel closed first)");
            }
        }
    }

    private ConfirmingChannels.Outgoing message(CloudEvent event, String correlationId, Span span) {
        Map<String, Object> headers = new HashMap<>(4);
        tracing.inject(span, headers::put);
        AMQP.BasicProperties properties = new AMQP.BasicProperties.Builder()
                .contentType(CloudEvent.STRUCTURED_JSON)
                .deliveryMode(2) // persistent
                // an AMQP short string; a longer id (128 characters may be 512 bytes) travels in the event only
                .messageId(event.id().getBytes(StandardCharsets.UTF_8).length <= AMQP_SHORT_STRING ? event.id() : null)
                .type(event.type())
                .correlationId(correlationId)
                // when it entered the broker: what the age of a subscription's waiting messages is measured from
                .timestamp(new Date())
                .headers(headers)
                .build();
        try {
            return new ConfirmingChannels.Outgoing(RabbitTopology.EXCHANGE, event.type(), properties, mapper.writeValueAsBytes(event));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write event " + event.id(), e);
        }
    }

    @SuppressWarnings("unchecked")
    private static List<Publication> publications(Object body) {
        if (body instanceof List<?> list && list.stream().allMatch(Publication.class::isInstance)) {
            return (List<Publication>) list;
        }
        throw new IllegalArgumentException("eventPublisher publishes a CloudEvent or a list of Publications, not "
                + (body == null ? "nothing" : body.getClass().getName()));
    }

    @Override
    public void destroy() {
        channels.destroy();
        continuations.shutdown();
    }
}
