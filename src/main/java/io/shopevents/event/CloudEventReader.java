package io.shopevents.event;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.springframework.stereotype.Component;
import org.springframework.util.MimeType;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.regex.Pattern;
import java.util.Map;

/**
 * Reads a consumed message as a CloudEvent, in either mode of the AMQP protocol binding:
 * <ul>
 * <li><b>structured</b>: the body is the whole event as JSON (what this service publishes, and
 * what a hand-published message in the management UI is), with {@code data} or {@code data_base64};</li>
 * <li><b>binary</b>: the attributes are application properties {@code cloudEvents:<name>} (or
 * {@code cloudEvents_<name>}, for clients that cannot send a colon), the AMQP content-type is
 * {@code datacontenttype}, the body is the data.</li>
 * </ul>
 * Attributes beyond the ones it works with are kept ({@link ExtensionAttributes}).
 * Data must be JSON ({@code application/json}, any {@code * /*+json}, with or without parameters).
 * Anything else is an {@link InvalidEventException} naming what is wrong, which dead-letters the
 * message at once. The data is checked against its type's schema by {@link #checkData}.
 */
@Component
public class CloudEventReader {

    static final List<String> BINARY_PREFIXES = List.of("cloudEvents:", "cloudEvents_");
    static final int MAX_ID_LENGTH = 128;
    static final int MAX_SOURCE_LENGTH = 256;
    private static final Pattern TRACEPARENT = Pattern.compile("00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}");
    /** No event of a shop happened before this; a time before it is a producer's mistake. */
    static final Instant EARLIEST = Instant.parse("1970-01-01T00:00:00Z");
    /** How far ahead of this machine's clock an event's time may be (another machine's clock). */
    static final Duration AHEAD = Duration.ofDays(1);

    private final ObjectMapper mapper;
    private final EventDataValidator validator;

    public CloudEventReader(ObjectMapper mapper, EventDataValidator validator) {
        this.mapper = mapper;
        this.validator = validator;
    }

    /** The event, its envelope checked; {@link #checkData} checks its data. */
    public CloudEvent read(byte[] body, String contentType, Map<String, Object> headers) {
        if (isBinary(headers)) {
            return readBinary(body, contentType, headers);
        }
        try {
            return readStructured(body);
        } catch (InvalidEventException e) {
            String elsewhere = otherBindingsAttributes(headers);
            if (elsewhere == null) {
                throw e;
            }
            throw new InvalidEventException(e.getMessage() + "; the message has " + elsewhere + ", the prefix of"
                    + " another protocol binding: over AMQP the attributes are cloudEvents:<name> (or"
                    + " cloudEvents_<name>) application properties");
        }
    }

    /** Headers such as ce_specversion (the Kafka binding's prefix) or ce-id (HTTP's), if a message has them. */
    private static String otherBindingsAttributes(Map<String, Object> headers) {
        if (headers == null) {
            return null;
        }
        List<String> names = headers.keySet().stream()
                .filter(name -> name.regionMatches(true, 0, "ce_", 0, 3) || name.regionMatches(true, 0, "ce-", 0, 3))
                .sorted().limit(5).toList();
        return names.isEmpty() ? null : String.join(", ", names);
    }

    /** The data meets its type's schema; throws naming every bad field otherwise. */
    public void checkData(CloudEvent event) {
        if (!validator.knows(event.type())) {
            throw new InvalidEventException("unknown event type '" + event.type() + "'");
        }
        List<FieldError> errors = validator.validate(event.type(), event.data()).stream()
                .map(e -> new FieldError(e.field().isEmpty() ? "data" : "data." + e.field(), e.message()))
                .toList();
        if (!errors.isEmpty()) {
            throw new InvalidEventException("invalid " + event.type() + " data", errors);
        }
    }

    /** The type a message says it has, if it says one, for listings of messages that could not be read. */
    public String typeOf(byte[] body, Map<String, Object> headers) {
        if (isBinary(headers)) {
            return text(attribute(headers, "type"));
        }
        try {
            JsonNode json = mapper.readTree(body);
            return json != null && json.path("type").isTextual() ? json.get("type").asText() : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The event's source and id, if the message says both; for replays from the archive. */
    public EventKey keyOf(byte[] body, Map<String, Object> headers) {
        if (isBinary(headers)) {
            Object source = attribute(headers, "source");
            Object id = attribute(headers, "id");
            return source == null || id == null ? null : new EventKey(source.toString(), id.toString());
        }
        try {
            JsonNode json = mapper.readTree(body);
            return json != null && json.path("source").isTextual() && json.path("id").isTextual()
                    ? new EventKey(json.get("source").asText(), json.get("id").asText()) : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** When a message says its event happened (CloudEvents time), if it says so. */
    public Instant timeOf(byte[] body, Map<String, Object> headers) {
        Object time;
        if (isBinary(headers)) {
            time = attribute(headers, "time");
            if (time instanceof Date date) {
                return date.toInstant();
            }
        } else {
            try {
                JsonNode json = mapper.readTree(body);
                time = json != null && json.path("time").isTextual() ? json.get("time").asText() : null;
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }
        try {
            return time == null ? null : OffsetDateTime.parse(time.toString()).toInstant();
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    private static boolean isBinary(Map<String, Object> headers) {
        return headers != null && attribute(headers, "specversion") != null;
    }

    private CloudEvent readStructured(byte[] body) {
        return read(parse(body, "the message body"));
    }

    /** A CloudEvent in structured JSON mode, already parsed (an item of a batch); its envelope checked. */
    public CloudEvent read(JsonNode json) {
        if (!json.isObject()) {
            throw new InvalidEventException("the message body is not a CloudEvents JSON object (structured mode), and the"
                    + " message has no cloudEvents:specversion application property (binary mode)");
        }
        List<FieldError> errors = new ArrayList<>();
        String specversion = textAttribute(json, "specversion", errors);
        String id = textAttribute(json, "id", errors);
        String source = textAttribute(json, "source", errors);
        String type = textAttribute(json, "type", errors);
        String subject = textAttribute(json, "subject", errors);
        String time = textAttribute(json, "time", errors);
        String contentType = textAttribute(json, "datacontenttype", errors);
        JsonNode data = null;
        boolean hasData = json.has("data") && !json.get("data").isNull();
        boolean hasBase64 = json.has("data_base64") && !json.get("data_base64").isNull();
        if (hasData && hasBase64) {
            errors.add(new FieldError("data", "and data_base64 must not both be given"));
        } else if (hasBase64) {
            String base64 = textAttribute(json, "data_base64", errors);
            if (base64 != null) {
                data = decodeBase64(base64, contentType, errors);
            }
        } else if (hasData) {
            data = json.get("data");
            if (contentType != null && !isJson(contentType)) {
                errors.add(new FieldError("datacontenttype", "must be JSON (application/json or */*+json), not '" + contentType + "'"));
            }
        }
        Map<String, Object> extensions = ExtensionAttributes.fromJson(json, "", errors);
        return checked(specversion, id, source, type, subject, time, contentType, data, extensions, errors, "")
                .withTraceparent(traceparent(json.path("traceparent").asText(null)));
    }

    private CloudEvent readBinary(byte[] body, String amqpContentType, Map<String, Object> headers) {
        List<FieldError> errors = new ArrayList<>();
        String contentType = amqpContentType != null ? amqpContentType : text(attribute(headers, "datacontenttype"));
        JsonNode data = null;
        if (contentType != null && !isJson(contentType)) {
            errors.add(new FieldError("datacontenttype", "must be JSON (application/json or */*+json), not '" + contentType + "'"));
        } else if (body != null && body.length > 0) {
            data = parse(body, "the message body (the event's data)");
        }
        Object time = attribute(headers, "time");
        String timeText = time instanceof Date date ? date.toInstant().toString() : text(time);
        Map<String, Object> extensions = ExtensionAttributes.fromAmqp(headers, BINARY_PREFIXES, errors);
        return checked(text(attribute(headers, "specversion")), text(attribute(headers, "id")),
                text(attribute(headers, "source")), text(attribute(headers, "type")),
                text(attribute(headers, "subject")), timeText, contentType, data, extensions, errors, "cloudEvents:")
                .withTraceparent(traceparent(text(attribute(headers, "traceparent"))));
    }

    /**
     * The distributed tracing extension, when it is a W3C traceparent; anything else is dropped, not
     * refused: the event is valid without it, and a malformed one must not reach the tracer.
     */
    private static String traceparent(String value) {
        return value != null && TRACEPARENT.matcher(value).matches() ? value : null;
    }

    private static CloudEvent checked(String specversion, String id, String source, String type, String subject,
                                      String time, String contentType, JsonNode data, Map<String, Object> extensions,
                                      List<FieldError> errors, String prefix) {
        if (!CloudEvent.SPEC_VERSION.equals(specversion)) {
            errors.add(new FieldError(prefix + "specversion", specversion == null ? "is required" : "must be \"1.0\""));
        }
        requireText(errors, prefix + "id", id, MAX_ID_LENGTH);
        requireText(errors, prefix + "source", source, MAX_SOURCE_LENGTH);
        requireText(errors, prefix + "type", type, MAX_ID_LENGTH);
        if (subject != null) {
            requireText(errors, prefix + "subject", subject, MAX_SOURCE_LENGTH);
        }
        Instant instant = null;
        if (time != null) {
            try {
                instant = OffsetDateTime.parse(time).toInstant();
                if (!isSane(instant, Instant.now())) {
                    errors.add(new FieldError(prefix + "time", "must lie between " + EARLIEST + " and a day from now"));
                }
            } catch (DateTimeParseException e) {
                errors.add(new FieldError(prefix + "time", "must be an RFC 3339 timestamp"));
            }
        }
        if (data == null && errors.stream().noneMatch(e -> e.field().startsWith("data"))) {
            errors.add(new FieldError("data", "is required"));
        }
        if (!errors.isEmpty()) {
            String what = prefix.isEmpty() ? "invalid CloudEvent (structured mode)" : "invalid CloudEvent (binary mode)";
            throw new InvalidEventException(type == null ? what : what + " of type '" + type + "'", errors);
        }
        return new CloudEvent(specversion, id, type, source, subject, instant, contentType, data, null, extensions);
    }

    private JsonNode decodeBase64(String base64, String contentType, List<FieldError> errors) {
        if (contentType == null || !isJson(contentType)) {
            errors.add(new FieldError("datacontenttype", "must be JSON (application/json or */*+json) for data_base64, not "
                    + (contentType == null ? "missing" : "'" + contentType + "'")));
            return null;
        }
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            errors.add(new FieldError("data_base64", "is not valid base64"));
            return null;
        }
        return parse(bytes, "data_base64");
    }

    /** Whether an event's time lies in the window every part of the service can work with (metrics, replays). */
    static boolean isSane(Instant time, Instant now) {
        return !time.isBefore(EARLIEST) && !time.isAfter(now.plus(AHEAD));
    }

    /** application/json, text/json, application/vnd.x+json; with or without parameters. */
    static boolean isJson(String contentType) {
        try {
            MimeType type = MimeType.valueOf(contentType);
            return "json".equals(type.getSubtype()) || type.getSubtype().endsWith("+json");
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static String textAttribute(JsonNode json, String name, List<FieldError> errors) {
        JsonNode value = json.get(name);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            errors.add(new FieldError(name, "must be a string"));
            return null;
        }
        return value.asText();
    }

    private static void requireText(List<FieldError> errors, String field, String value, int maxLength) {
        if (value == null || value.isBlank()) {
            errors.add(new FieldError(field, "is required"));
        } else if (value.codePointCount(0, value.length()) > maxLength) {
            // characters as JSON Schema counts them (code points): one limit at the edge, in the
            // schemas and in the database columns
            errors.add(new FieldError(field, "must be at most " + maxLength + " characters"));
        } else if (TextRules.hasControlCharacter(value)) {
            errors.add(new FieldError(field, "must not contain control characters"));
        }
    }

    static Object attribute(Map<String, Object> headers, String name) {
        for (String prefix : BINARY_PREFIXES) {
            Object value = headers.get(prefix + name);
            if (value != null) {
                return value;
            }
        }
        return null;
    }

    private static String text(Object value) {
        return value == null ? null : value.toString();
    }

    private JsonNode parse(byte[] body, String what) {
        return JsonDocuments.read(mapper, body, what);
    }
}
