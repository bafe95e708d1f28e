package io.shopevents.webhook;

import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.support.DefaultEndpoint;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@code signed-webhook:<name>?url=<http(s) URL>&secretProperty=<configuration key>} with optional
 * {@code timeout} (ms, default 10000) and {@code headers} ({@code Name: value; Name: value}). The
 * secret is never written in a route file: {@code secretProperty} names the configuration key
 * that holds it (an environment variable, a secrets file), and the route is refused without it.
 */
public class WebhookEndpoint extends DefaultEndpoint {

    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
    /** Headers the call sets itself. */
    private static final Set<String> OWN_HEADERS = Set.of("content-type", "content-length", "host", "connection",
            "webhook-id", "webhook-timestamp", "webhook-signature", "transfer-encoding", "expect", "upgrade");

    private final String name;
    private String url;
    private String secretProperty;
    private boolean secretInline;
    private long timeout = 10_000;
    private String headers;

    private URI target;
    private WebhookSignature signature;
    private Map<String, String> extraHeaders;
    private HttpClient client;

    WebhookEndpoint(String uri, WebhookComponent component, String name) {
        super(uri, component);
        this.name = name;
    }

    @Override
    public WebhookComponent getComponent() {
        return (WebhookComponent) super.getComponent();
    }

    /** Validates the options, naming the route file's mistake. */
    void checkOptions() {
        String where = "signed-webhook:" + name;
        if (secretInline) {
            throw new IllegalArgumentException(where + ": a secret is never written in a route file; put it in the"
                    + " configuration (an environment variable or a secrets file) and name its key with secretProperty");
        }
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException(where + " needs url=<http or https URL>");
        }
        try {
            target = new URI(url.strip());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(where + ": url is not a URL: " + e.getMessage());
        }
        String scheme = target.getScheme() == null ? "" : target.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || target.getHost() == null || target.getUserInfo() != null) {
            throw new IllegalArgumentException(where + ": url must be an http or https URL with a host (and no user"
                    + " name or password in it), not " + url);
        }
        if (secretProperty == null || secretProperty.isBlank()) {
            throw new IllegalArgumentException(where + " needs secretProperty=<configuration key holding the whsec_ secret>");
        }
        String secret = getComponent().environment.getProperty(secretProperty.strip());
        if (secret == null || secret.isBlank()) {
            String key = secretProperty.strip();
            // the environment variable Spring Boot binds to the key: upper case, '.' → '_', no '-'
            String variable = key.toUpperCase(Locale.ROOT).replace('.', '_').replace("-", "");
            throw new IllegalArgumentException(where + ": the configuration has no " + key
                    + " (the webhook's secret: set the environment variable " + variable + " or put it in a secrets file)");
        }
        try {
            signature = WebhookSignature.of(secret.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + secretProperty.strip() + ": " + e.getMessage());
        }
        if (timeout < 1 || timeout > 120_000) {
            throw new IllegalArgumentException(where + ": timeout is in milliseconds, from 1 to 120000");
        }
        extraHeaders = parseHeaders(where);
        client = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER)
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofMillis(Math.min(timeout, 5_000)))
                .build();
    }

    private Map<String, String> parseHeaders(String where) {
        Map<String, String> parsed = new LinkedHashMap<>();
        if (headers == null || headers.isBlank()) {
            return parsed;
        }
        for (String pair : headers.split(";")) {
            if (pair.isBlank()) {
                continue;
            }
            int colon = pair.indexOf(':');
            String header = colon < 0 ? "" : pair.substring(0, colon).strip();
            String value = colon < 0 ? "" : pair.substring(colon + 1).strip();
            if (!TOKEN.matcher(header).matches() || value.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
                throw new IllegalArgumentException(where + ": headers is 'Name: value; Name: value', not '" + pair.strip() + "'");
            }
            if (OWN_HEADERS.contains(header.toLowerCase(Locale.ROOT))) {
                throw new IllegalArgumentException(where + ": the call sets " + header + " itself");
            }
            parsed.put(header, value);
        }
        return parsed;
    }

    @Override
    public Producer createProducer() {
        return new WebhookProducer(this);
    }

    @Override
    public Consumer createConsumer(Processor processor) {
        throw new UnsupportedOperationException("signed-webhook:" + name + " only sends: use it in to:");
    }

    String name() {
        return name;
    }

    URI target() {
        return target;
    }

    WebhookSignature signature() {
        return signature;
    }

    Map<String, String> extraHeaders() {
        return extraHeaders;
    }

    HttpClient client() {
        return client;
    }

    Duration timeout() {
        return Duration.ofMillis(timeout);
    }

    public String getUrl() {
        return url;
    }

    public void setUrl(String url) {
        this.url = url;
    }

    public String getSecretProperty() {
        return secretProperty;
    }

    public void setSecretProperty(String secretProperty) {
        this.secretProperty = secretProperty;
    }

    /** Refused (checkOptions): the option exists only to say where a secret goes instead. */
    public void setSecret(String secret) {
        this.secretInline = true;
    }

    public long getTimeout() {
        return timeout;
    }

    public void setTimeout(long timeout) {
        this.timeout = timeout;
    }

    public String getHeaders() {
        return headers;
    }

    public void setHeaders(String headers) {
        this.headers = headers;
    }
}
