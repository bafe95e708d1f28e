package io.shopevents.event;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Base64;
import java.util.Date;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The attributes of a CloudEvent beyond those this service works with: {@code dataschema} and the
 * extensions ({@code partitionkey}, {@code tracestate}, a producer's own). They travel with the
 * event as they came, to every subscription and webhook. The spec's rules, and our bounds: a name
 * of lower-case letters and digits, at most 20 of them; a value that is a string (at most 1,024
 * characters, no control characters), an integer of 32 bits or a boolean; at most 20 attributes.
 * Anything else is refused naming the attribute, never dropped.
 */
public final class ExtensionAttributes {

    public static final int MAX_COUNT = 20;
    static final int MAX_VALUE_LENGTH = 1024;
    private static final Pattern NAME = Pattern.compile("[a-z0-9]{1,20}");
    /** The attributes {@link CloudEvent} has fields for. */
    static final Set<String> MODELLED = Set.of("specversion", "id", "source", "type", "subject", "time",
            "datacontenttype", "data", "data_base64", "traceparent");

    private ExtensionAttributes() {
    }

    /** The members of a structured-mode event that are not modelled; {@code prefix} names them in errors. */
    static Map<String, Object> fromJson(JsonNode event, String prefix, List<FieldError> errors) {
        Map<String, Object> found = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> members = event.fields(); members.hasNext(); ) {
            Map.Entry<String, JsonNode> member = members.next();
            if (MODELLED.contains(member.getKey()) || member.getValue().isNull()) {
                continue; // null: the attribute is absent
            }
            add(found, member.getKey(), jsonValue(member.getValue()), prefix, errors);
        }
        return found;
    }

    /** The {@code cloudEvents:} application properties of a binary-mode AMQP message that are not modelled. */
    static Map<String, Object> fromAmqp(Map<String, Object> headers, List<String> prefixes, List<FieldError> errors) {
        Map<String, Object> found = new LinkedHashMap<>();
        for (Map.Entry<String, Object> header : headers.entrySet()) {
            for (String prefix : prefixes) {
                if (header.getKey().startsWith(prefix) && header.getValue() != null) {
                    String name = header.getKey().substring(prefix.length());
                    if (!MODELLED.contains(name)) {
                        add(found, name, amqpValue(header.getValue()), prefix, errors);
                    }
                }
            }
        }
        return found;
    }

    private static void add(Map<String, Object> found, String name, Object value, String prefix, List<FieldError> errors) {
        if (!NAME.matcher(name).matches()) {
            errors.add(new FieldError(prefix + name, "is not a CloudEvents attribute name: lower-case letters a-z and"
                    + " digits, at most 20"));
        } else if (value == null) {
            errors.add(new FieldError(prefix + name, "must be a string, an integer (32 bits) or a boolean"));
        } else if (value instanceof String text && text.codePointCount(0, text.length()) > MAX_VALUE_LENGTH) {
            errors.add(new FieldError(prefix + name, "must be at most " + MAX_VALUE_LENGTH + " characters"));
        } else if (value instanceof String text && TextRules.hasControlCharacter(text)) {
            errors.add(new FieldError(prefix + name, "must not contain control characters"));
        } else if (found.size() == MAX_COUNT) {
            errors.add(new FieldError(prefix + name, "one attribute too many: an event carries at most " + MAX_COUNT
                    + " beyond the ones CloudEvents requires"));
        } else {
            found.put(name, value);
        }
    }

    /** JSON's forms of the CloudEvents types: a string (also URI, timestamp, binary), an integer, a boolean. */
    private static Object jsonValue(JsonNode value) {
        if (value.isTextual()) {
            return value.asText();
        }
        if (value.isBoolean()) {
            return value.asBoolean();
        }
        if (value.isIntegralNumber() && value.canConvertToInt()) {
            return value.intValue();
        }
        return null;
    }

    /** AMQP's: strings, integers, booleans, timestamps (as RFC 3339 text) and binary (as base64, like JSON). */
    private static Object amqpValue(Object value) {
        if (value instanceof Boolean) {
            return value;
        }
        if (value instanceof Byte || value instanceof Short || value instanceof Integer) {
            return ((Number) value).intValue();
        }
        if (value instanceof Long number && number == number.intValue()) {
            return number.intValue();
        }
        if (value instanceof Date date) {
            return date.toInstant().toString();
        }
        if (value instanceof byte[] bytes) {
            return Base64.getEncoder().encodeToString(bytes);
        }
        if (value instanceof CharSequence || value.getClass().getName().endsWith("LongString")) {
            return value.toString();
        }
        return null;
    }
}
