package io.shopevents.subscription;

import io.cloudevents.CloudEventData;
import io.cloudevents.SpecVersion;
import io.shopevents.event.CloudEvent;

import java.net.URI;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The event as CloudEvents SQL reads it: attributes as the text they are, not as Java types. A
 * {@code source} such as "shop eu" is a valid URI-reference to CloudEvents, not to java.net.URI,
 * and the SDK's own event would refuse it. Data is not there: CloudEvents SQL cannot read it.
 */
final class SqlEvent implements io.cloudevents.CloudEvent {

    private static final String DATASCHEMA = "dataschema";

    private final CloudEvent event;

    SqlEvent(CloudEvent event) {
        this.event = event;
    }

    @Override
    public Object getAttribute(String name) {
        return switch (name) {
            case "specversion" -> event.specversion() == null ? CloudEvent.SPEC_VERSION : event.specversion();
            case "id" -> event.id();
            case "source" -> event.source();
            case "type" -> event.type();
            case "subject" -> event.subject();
            case "time" -> event.time() == null ? null : event.time().toString();
            case "datacontenttype" -> event.datacontenttype();
            case DATASCHEMA -> event.extensions().get(DATASCHEMA);
            default -> throw new IllegalArgumentException(name + " is not a CloudEvents attribute");
        };
    }

    @Override
    public Object getExtension(String name) {
        if ("traceparent".equals(name)) {
            return event.traceparent();
        }
        return DATASCHEMA.equals(name) ? null : event.extensions().get(name);
    }

    @Override
    public Set<String> getExtensionNames() {
        Set<String> names = new LinkedHashSet<>(event.extensions().keySet());
        names.remove(DATASCHEMA);
        if (event.traceparent() != null) {
            names.add("traceparent");
        }
        return names;
    }

    @Override
    public CloudEventData getData() {
        return null;
    }

    @Override
    public SpecVersion getSpecVersion() {
        return SpecVersion.V1;
    }

    @Override
    public String getId() {
        return event.id();
    }

    @Override
    public String getType() {
        return event.type();
    }

    @Override
    public URI getSource() {
        return uri(event.source());
    }

    @Override
    public String getDataContentType() {
        return event.datacontenttype();
    }

    @Override
    public URI getDataSchema() {
        Object schema = event.extensions().get(DATASCHEMA);
        return schema == null ? null : uri(schema.toString());
    }

    @Override
    public String getSubject() {
        return event.subject();
    }

    @Override
    public OffsetDateTime getTime() {
        return event.time() == null ? null : event.time().atOffset(ZoneOffset.UTC);
    }

    private static URI uri(String text) {
        try {
            return text == null ? null : URI.create(text);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
