package io.shopevents.subscription;

import io.cloudevents.sql.Expression;
import io.cloudevents.sql.ParseException;
import io.cloudevents.sql.Parser;
import io.shopevents.event.CloudEvent;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;



/**
 * What a subscription takes beyond its types, both optional and both required to hold:
 * {@code filter}, a CloudEvents SQL condition on the attributes and extensions (evaluated by the
 * CloudEvents SDK's library, as Knative's triggers do), and {@code jq}, a jq condition on the event
 * as JSON, its data under {@code .data}. An event they do not take is acknowledged and counted,
 * never dead-lettered. Types stay bindings on the broker: only events of those types get here.
 */
public final class SubscriptionFilter {

    static final SubscriptionFilter ANY = new SubscriptionFilter(null, null, null);

    private final String text;
    private final Expression cesql;
    private final org.apache.camel.Expression jq;

    private SubscriptionFilter(String text, Expression cesql, org.apache.camel.Expression jq) {
        this.text = text;
        this.cesql = cesql;
        this.jq = jq;
    }

    /** The filter the options describe, compiled now so that a mistake stops the route file loading. */
    static SubscriptionFilter of(String filter, String jq, CamelContext camel) {
        if (blank(filter) && blank(jq)) {
            return ANY;
        }
        Expression cesql = blank(filter) ? null : parseCesql(filter);
        org.apache.camel.Expression condition = null;
        if (!blank(jq)) {
            try {
                condition = camel.resolveLanguage("jq").createExpression(jq);
                condition.init(camel);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("jq is not a jq expression: " + deepest(e), e);
            }
        }
        String text = (blank(filter) ? "" : "filter " + filter) + (blank(filter) || blank(jq) ? "" : " and ")
                + (blank(jq) ? "" : "jq " + jq);
        return new SubscriptionFilter(text, cesql, condition);
    }

    /** The CloudEvents SQL expression; its parser's own message if it is not one. */
    public static Expression parseCesql(String filter) {
        try {
            return Parser.parseDefault(filter);
        } catch (ParseException e) {
            throw new IllegalArgumentException("filter is not a CloudEvents SQL expression: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            // the library's error listener fails on some syntax errors instead of saying where they are
            throw new IllegalArgumentException("filter is not a CloudEvents SQL expression: '" + filter + "'", e);
        }
    }

    boolean isAny() {
        return this == ANY;
    }

    /**
     * Whether the subscription takes the event. A CloudEvents SQL condition that fails to evaluate
     * on it (an attribute it does not have, say) does not take it; a jq condition
     * that fails throws (the event is dead-lettered with the reason: the filter, not the event, may
     * be wrong).
     */
    boolean takes(CloudEvent event, Exchange exchange) {
        if (cesql != null) {
            io.cloudevents.sql.Result result = cesql.evaluate(new SqlEvent(event));
            // an error anywhere (an attribute the event does not have, a cast that fails) is "not
            // taken", also under NOT: the library would give NOT's operand a default of false
            if (result.isFailed() || !Boolean.TRUE.equals(result.value())) {
                return false;
            }
        }
        if (jq != null) {
            exchange.getMessage().setBody(event);
            return truthy(jq.evaluate(exchange, Object.class));
        }
        return true;
    }

    @Override
    public String toString() {
        return text == null ? "every event" : text;
    }

    /** As jq's {@code if} reads a condition: its first output, true unless false or null; no output is false. */
    private static boolean truthy(Object output) {
        Object first = output instanceof java.util.List<?> outputs ? (outputs.isEmpty() ? null : outputs.get(0)) : output;
        if (first instanceof com.fasterxml.jackson.databind.JsonNode node) {
            return !node.isNull() && !node.isMissingNode() && !(node.isBoolean() && !node.asBoolean());
        }
        return first != null;
    }

    /** The message of the failure's first cause, where a language says what is wrong. */
    public static String deepest(Throwable e) {
        Throwable cause = e;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        // jq's parser goes on to list every token it expected: its first line says where
        String message = String.valueOf(cause.getMessage()).strip();
        int end = message.indexOf('\n');
        return end < 0 ? message : message.substring(0, end).strip();
    }

    private static boolean blank(String text) {
        return text == null || text.isBlank();
    }

}
