package io.shopevents.event;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The rules on event data that a JSON Schema cannot say, checked after the schema by the REST
 * edge and by every subscription alike:
 * <ul>
 * <li>no text anywhere in the data holds a control character of any kind ({@link TextRules}:
 * C0 and C1 controls, DEL, U+2028/U+2029, lone surrogates);</li>
 * <li>{@code email} of user_registered is exactly one mailbox ({@link EmailAddresses}).</li>
 * </ul>
 */
final class EventRules {

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
        return errors;
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
