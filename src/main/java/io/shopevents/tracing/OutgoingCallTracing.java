package io.shopevents.tracing;

import io.micrometer.tracing.Span;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.spi.CamelEvent.ExchangeSendingEvent;
import org.apache.camel.spi.CamelEvent.ExchangeSentEvent;
import org.apache.camel.support.EventNotifierSupport;
import org.springframework.stereotype.Component;

/**
 * Camel's side of the traces: a span for each call a route makes to the outside, as a child of
 * the span the route runs in (the HTTP call, or the subscription's event): the publish to the
 * broker ({@code spring-rabbitmq:}), a mail ({@code smtp:}, {@code smtps:}) and a webhook
 * ({@code signed-webhook:}). The publish and the webhook carry the span's trace context on (AMQP
 * and HTTP headers); a mail does not (its headers are the recipient's).
 */
@Component
public class OutgoingCallTracing extends EventNotifierSupport {

    private static final String SPAN_PROPERTY = "shop.tracing.outgoing-span";

    private final EventTracing tracing;

    public OutgoingCallTracing(EventTracing tracing) {
        this.tracing = tracing;
        // only the two events below: no span for exchanges created or completed
        setIgnoreCamelContextEvents(true);
        setIgnoreCamelContextInitEvents(true);
        setIgnoreRouteEvents(true);
        setIgnoreServiceEvents(true);
        setIgnoreStepEvents(true);
        setIgnoreExchangeCreatedEvent(true);
        setIgnoreExchangeCompletedEvent(true);
        setIgnoreExchangeFailedEvents(true);
        setIgnoreExchangeRedeliveryEvents(true);
        setIgnoreExchangeAsyncProcessingStartedEvents(true);
    }

    @Override
    public boolean isEnabled(CamelEvent event) {
        return (event instanceof ExchangeSendingEvent sending && kindOf(sending.getEndpoint()) != null)
                || (event instanceof ExchangeSentEvent sent && kindOf(sent.getEndpoint()) != null);
    }

    @Override
    public void notify(CamelEvent event) {
        if (event instanceof ExchangeSendingEvent sending) {
            sending(sending.getExchange(), sending.getEndpoint());
        } else if (event instanceof ExchangeSentEvent sent) {
            sent(sent.getExchange());
        }
    }

    private void sending(Exchange exchange, Endpoint endpoint) {
        String kind = kindOf(endpoint);
        Span span = tracing.startChild(kind + " " + target(endpoint), kind.equals("publish") ? Span.Kind.PRODUCER : Span.Kind.CLIENT);
        if (!kind.equals("mail")) {
            tracing.inject(span, (key, value) -> exchange.getIn().setHeader(key, value));
        }
        exchange.setProperty(SPAN_PROPERTY, span);
    }

    private void sent(Exchange exchange) {
        Span span = exchange.getProperty(SPAN_PROPERTY, Span.class);
        if (span == null) {
            return;
        }
        exchange.removeProperty(SPAN_PROPERTY);
        if (exchange.getException() != null) {
            span.error(exchange.getException());
        }
        span.end();
    }

    /** publish, mail or webhook; null for a call that gets no span of its own (direct:, bean:, log:, ...). */
    static String kindOf(Endpoint endpoint) {
        String scheme = endpoint.getEndpointKey();
        if (scheme.startsWith("spring-rabbitmq:")) {
            return "publish";
        }
        if (scheme.startsWith("smtp:") || scheme.startsWith("smtps:")) {
            return "mail";
        }
        if (scheme.startsWith("signed-webhook:")) {
            return "webhook";
        }
        return null;
    }

    /** The exchange, the mail server or the webhook's name; no query (it may hold credentials). */
    private static String target(Endpoint endpoint) {
        String key = endpoint.getEndpointKey();
        String target = key.substring(key.indexOf(':') + 1).replaceFirst("^//", "");
        int query = target.indexOf('?');
        return query < 0 ? target : target.substring(0, query);
    }
}
