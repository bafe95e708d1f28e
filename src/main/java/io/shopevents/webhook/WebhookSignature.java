package io.shopevents.webhook;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;

/**
 * Standard Webhooks signing (www.standardwebhooks.com): the secret is {@code whsec_} and the
 * base64 of its key bytes; the signature of a call is {@code v1,} and the base64 of
 * HMAC-SHA256(key, {@code <webhook-id>.<webhook-timestamp>.<body>}).
 */
final class WebhookSignature {

    static final String PREFIX = "whsec_";

    private final byte[] key;

    private WebhookSignature(byte[] key) {
        this.key = key;
    }

    /** The key of a {@code whsec_...} secret; IllegalArgumentException (without the secret) if it is not one. */
    static WebhookSignature of(String secret) {
        if (secret == null || !secret.startsWith(PREFIX)) {
            throw new IllegalArgumentException("a webhook secret is 'whsec_' and the base64 of at least 24 random bytes");
        }
        byte[] key;
        try {
            key = Base64.getDecoder().decode(secret.substring(PREFIX.length()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("a webhook secret is 'whsec_' and the base64 of at least 24 random bytes;"
                    + " what follows 'whsec_' is not base64");
        }
        if (key.length < 24) {
            throw new IllegalArgumentException("a webhook secret is 'whsec_' and the base64 of at least 24 random bytes;"
                    + " this one holds " + key.length);
        }
        return new WebhookSignature(key);
    }

    /** The {@code webhook-signature} header's value for this call. */
    String sign(String id, long timestamp, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            mac.update((id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8));
            return "v1," + Base64.getEncoder().encodeToString(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every JVM has HmacSHA256", e);
        }
    }
}
