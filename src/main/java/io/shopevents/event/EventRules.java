package io.shopevents.event;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The rules on event data that a JSON Schema cannot say, checked after the schema by the REST
 * edge and by every subscription alike:
 * <ul>
 * <li>no text anywhere in the data holds a control character of any kind ({@link TextRules}:
 * C0 and C1 controls, DEL, U+2028/U+2029, lone surrogates);</li>
 * <li>{@code email} of user_registered is exactly one mailbox ({@link EmailAddresses});</li>
 * <li>an amount has at most 4 decimal places as written (0.00001 is refused, not stored as 0; a
 * 30-digit fraction is refused, not rounded), so what is stored and published is what was sent;</li>
 * <li>an id is a string, or a whole number written as one (1e2 and 1.0 are refused: they would
 * be other ids than 100 and 1), and can be named in a URL path, so that GET finds it: not . or
 * .., no / or \, no text a URL would read as an escape (%2F).</li>
 * </ul>
 */
final class EventRules {

    static final int MAX_FRACTION_DIGITS = 4;
    private static final Pattern PERCENT_ESCAPE = Pattern.compile("%[0-9A-Fa-f]{2}");
    private static final Map<String, List<String>> IDS = Map.of(
            EventType.USER_REGISTERED.eventName(), List.of("userId"),
            EventType.ORDER_PLACED.eventName(), List.of("orderId", "userId"),
            EventType.PAYMENT_PROCESSED.eventName(), List.of("paymentId", "orderId"));
    private static final Map<String, List<String>> AMOUNTS = Map.of(
            EventType.ORDER_PLACED.eventName(), List.of("orderTotal"),
            EventType.PAYMENT_PROCESSED.eventName(), List.of("paymentAmount"));

    private EventRules() {
    }

    static List<FieldError> check(String type, JsonNode data) {
        List<FieldError> errors = new ArrayList<>();
        text(data, "", errors);
        if (EventType.USER_REGISTERED.eventName().equals(type) && data.path("email").isTextual()) {
            String problem = EmailAddresses.problem(data.get("email").asText());
            if (problem != null && errors.stream().noneMatch(e -> e.field().equals("email"))) {
                errors.add(new FieldError("email", problem));
            }
        }
        for (String field : IDS.getOrDefault(type, List.of())) {
            JsonNode id = data.path(field);
            if (id.isNumber() && !id.isIntegralNumber()) {
                errors.add(new FieldError(field, "must be a string or a whole number written without exponent or"
                        + " fraction (100, not 1e2 or 100.0)"));
            } else if (id.isTextual() && !survivesUrlPath(id.asText())) {
                errors.add(new FieldError(field, "must not be . or .., nor contain /, \\ or text such as %2F (an id is"
                        + " part of a URL path, where these would name another path or be refused: GET it back)"));
            }
        }
        for (String field : AMOUNTS.getOrDefault(type, List.of())) {
            JsonNode amount = data.path(field);
            if (amount.isNumber() && amount.decimalValue().scale() > MAX_FRACTION_DIGITS) {
                errors.add(new FieldError(field, "must have at most " + MAX_FRACTION_DIGITS
                        + " decimal places (it is kept as sent, never rounded)"));
            }
        }
        return errors;
    }

    /**
     * Whether GET can name the id: a path segment of . or .. is read as a step up, / and \\ as
     * separators, and a percent-escape, even percent-encoded again, is refused by the request
     * firewall (%2F, %5C, %2E, %00, %0A after one decoding).
     */
    static boolean survivesUrlPath(String id) {
        return !id.equals(".") && !id.equals("..") && !id.contains("/") && !id.contains("\\")
                && !PERCENT_ESCAPE.matcher(id).find();
    }

    private static void text(JsonNode node, String path, List<FieldError> errors) {
        if (node.isTextual()) {
            if (TextRules.hasControlCharacter(node.asText())) {
                errors.add(new FieldError(path, "must not contain control characters (such as CR, LF, NUL,"
                        + " U+0080-U+009F, U+2028, U+2029)"));
            }
        } else if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> fields = node.fields(); fields.hasNext(); ) {
                Map.Entry<String, JsonNode> field = fields.next();
                text(field.getValue(), path.isEmpty() ? field.getKey() : path + "." + field.getKey(), errors);
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                text(node.get(i), path + "[" + i + "]", errors);
            }
        }
    }
}
