package io.shopevents.security;

import org.springframework.boot.context.properties.ConfigurationProperties;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The callers allowed in: shop.security.api-keys, each with a name (for the log), a key (from
 * the environment or a secrets file, never from a committed file outside the local profile) and
 * the scopes it holds. A key is compared by its SHA-256 digest, in constant time.
 */
@ConfigurationProperties("shop.security")
public record ApiKeys(List<ApiKey> apiKeys) {

    /** Keys shorter than this are refused at start: they could be guessed. */
    public static final int MIN_KEY_LENGTH = 16;

    public record ApiKey(String name, String key, Set<String> scopes) {
    }

    /** A caller that presented a known key. */
    public record Caller(String name, Set<String> scopes) {
    }

    public ApiKeys {
        apiKeys = apiKeys == null ? List.of() : List.copyOf(apiKeys);
        for (ApiKey apiKey : apiKeys) {
            if (apiKey.name() == null || apiKey.name().isBlank()) {
                throw new IllegalArgumentException("shop.security.api-keys: every key needs a name");
            }
            if (apiKey.key() == null || apiKey.key().length() < MIN_KEY_LENGTH) {
                throw new IllegalArgumentException("shop.security.api-keys: the key of '" + apiKey.name()
                        + "' must be at least " + MIN_KEY_LENGTH + " characters");
            }
            if (apiKey.scopes() == null || apiKey.scopes().isEmpty()) {
                throw new IllegalArgumentException("shop.security.api-keys: '" + apiKey.name() + "' has no scopes");
            }
        }
    }

    /** The caller this key belongs to; every configured key is compared, so timing tells nothing. */
    public Optional<Caller> callerOf(String presented) {
        byte[] digest = sha256(presented);
        Caller found = null;
        for (ApiKey apiKey : apiKeys) {
            if (MessageDigest.isEqual(digest, sha256(apiKey.key()))) {
                found = new Caller(apiKey.name(), Set.copyOf(apiKey.scopes()));
            }
        }
        return Optional.ofNullable(found);
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
