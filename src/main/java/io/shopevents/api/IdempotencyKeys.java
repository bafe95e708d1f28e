package io.shopevents.api;

import io.shopevents.event.CloudEvents;
import io.shopevents.event.EventIds;
import io.shopevents.event.EventSources;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.dao.DataAccessException;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * {@code Idempotency-Key} on every POST (IETF httpapi draft): a client that retries a call, say
 * after a lost answer, sends the same key and gets the first answer again, and no second event.
 * <ul>
 * <li>the first call with a key claims it in the database (so it holds across instances) and, when
 * it succeeds (202, or 200 for a dead-letter replay), keeps that answer, whatever its size; an error
 * answer gives the key back, so a corrected retry may use it, unless something the call published
 * may still take effect: then the key stays claimed;</li>
 * <li>the events a keyed call publishes have ids derived from the key's seed ({@link EventIds}):
 * a call whose process died before answering is taken over by a retry after
 * shop.idempotency.abandoned-after (60 s),
 * which publishes the same ids again under the same source (the first run's, kept with the key:
 * the retry may reach another instance), so every subscription applies each event once; an event of
 * that first run that was withdrawn (its publication not confirmed) is refused, never re-sent;</li>
 * <li>the same key with the same method, path and body: the kept answer again (same eventId);
 * while the first call is still under way, the retry waits for its answer;</li>
 * <li>the same key with another body: 422;</li>
 * <li>keys are kept per caller (API key name) for shop.idempotency.retention (24 h).</li>
 * </ul>
 */
@Component("idempotencyKeys")
public class IdempotencyKeys {

    public static final String HEADER = "Idempotency-Key";
    /** The caller the API key belongs to, put on the request by the security filter. */
    public static final String CALLER_HEADER = "X-Shop-Caller";
    static final String CLAIM_PROPERTY = "idempotencyClaim";
    static final String KEY_PROPERTY = "idempotencyKey";
    static final String CALLER_PROPERTY = "idempotencyCaller";
    /** Set when this call took over the claim of an earlier one that never answered. */
    public static final String TAKEOVER_PROPERTY = "idempotencyTakeover";
    private static final Pattern KEY = Pattern.compile("[\\x21-\\x7E]{1,255}");
    private final Duration abandoned;
    private static final Logger log = LoggerFactory.getLogger(IdempotencyKeys.class);

    private final JdbcClient jdbc;
    private final EventSources sources;
    private final Duration retention;
    private final Duration wait;

    public IdempotencyKeys(JdbcClient jdbc, EventSources sources, @Value("${shop.idempotency.retention}") Duration retention,
                           @Value("${shop.idempotency.wait}") Duration wait,
                           @Value("${shop.idempotency.abandoned-after}") Duration abandoned) {
        this.jdbc = jdbc;
        this.sources = sources;
        this.abandoned = abandoned;
        this.retention = retention;
        this.wait = wait;
    }

    /** The kept answer of an earlier call with the same key: answered again as it was. */
    public static final class Replay extends RuntimeException {
        private final int status;
        private final String body;

        Replay(int status, String body) {
            super("answered before under this Idempotency-Key", null, false, false);
            this.status = status;
            this.body = body;
        }

        public int status() {
            return status;
        }

        public String body() {
            return body;
        }
    }

    /**
     * Before a POST does anything: claims its key, or throws {@link Replay} with the kept answer,
     * {@link UnprocessableException} (422) for the key with another body, {@link ConflictException}
     * (409) when the first call is still under way after the wait.
     */
    public void claim(Exchange exchange) {
        // given twice and joined, "k1,k2" would be a new key, and the retry a new event
        String given = RequestHeaders.single(HEADER, exchange.getMessage().getHeader(HEADER), "a request has one key");
        if (given == null) {
            return;
        }
        String key = unquoted(given.strip());
        if (!KEY.matcher(key).matches()) {
            throw new BadRequestException(HEADER + " must be 1 to 255 printable ASCII characters (a UUID, say)");
        }
        String caller = exchange.getMessage().getHeader(CALLER_HEADER, "anonymous", String.class);
        String hash = hash(exchange);
        Instant deadline = Instant.now().plus(wait);
        while (true) {
            String claim = UUID.randomUUID().toString();
            String seed = UUID.randomUUID().toString();
            if (insert(caller, key, hash, claim, seed)) {
                owned(exchange, caller, key, claim, seed, null);
                return;
            }
            Optional<Kept> kept = find(caller, key);
            if (kept.isEmpty()) {
                continue; // given back, or expired and removed, in between: claim it again
            }
            Kept row = kept.get();
            if (row.claimedAt().isBefore(Instant.now().minus(retention))) {
                delete(caller, key, row.claim());
                continue;
            }
            if (!row.requestHash().equals(hash)) {
                throw new UnprocessableException(HEADER + " '" + key + "' was used for another request (method, path"
                        + " or body differ); use a new key for a new request");
            }
            if (row.status() != null) {
                throw new Replay(row.status(), row.response());
            }
            if (row.claimedAt().isBefore(Instant.now().minus(abandoned))) {
                // the first call never answered (its process died): run it again with the same events
                // (a row of an older version has no seed: its events cannot be known again)
                String seedOfFirst = row.seed() != null ? row.seed() : seed;
                String sourceOfFirst = row.sourceBase() != null ? row.sourceBase() : sources.base();
                if (takeOver(caller, key, row.claim(), claim)) {
                    log.info("{} '{}' of {}: the call that claimed it at {} never answered; running it again with"
                            + " the same event ids", HEADER, key, caller, row.claimedAt());
                    owned(exchange, caller, key, claim, seedOfFirst, sourceOfFirst);
                    return;
                }
                continue;
            }
            if (Instant.now().isAfter(deadline)) {
                throw new ConflictException("a request with " + HEADER + " '" + key + "' is still under way; retry shortly");
            }
            pause();
        }
    }

    /** The call owns the key; a takeover publishes under the first run's seed and source base. */
    private static void owned(Exchange exchange, String caller, String key, String claim, String seed, String takenOverBase) {
        exchange.setProperty(CLAIM_PROPERTY, claim);
        exchange.setProperty(KEY_PROPERTY, key);
        exchange.setProperty(CALLER_PROPERTY, caller);
        exchange.setProperty(EventIds.SEED_PROPERTY, seed);
        if (takenOverBase != null) {
            exchange.setProperty(TAKEOVER_PROPERTY, true);
            exchange.setProperty(EventSources.BASE_PROPERTY, takenOverBase);
        }
    }

    /**
     * Inside a withdrawal's transaction: whether this call still owns its key (locking the key's
     * row until the transaction ends). A call so slow that a retry took its key over must leave the
     * events to the retry, which published them again. True for a call without a key.
     */
    public boolean stillOwned(Exchange exchange) {
        String claim = exchange.getProperty(CLAIM_PROPERTY, String.class);
        if (claim == null) {
            return true;
        }
        return jdbc.sql("SELECT claim FROM idempotency_keys WHERE caller = :caller AND idem_key = :key FOR UPDATE")
                .param("caller", exchange.getProperty(CALLER_PROPERTY, String.class))
                .param("key", exchange.getProperty(KEY_PROPERTY, String.class))
                .query(String.class)
                .optional()
                .map(claim::equals)
                .orElse(false);
    }

    /** After a success (2xx, the status set on the exchange; 200 if none): keeps the answer for the key's retries. */
    public void remember(Exchange exchange) {
        String claim = exchange.getProperty(CLAIM_PROPERTY, String.class);
        if (claim == null) {
            return;
        }
        String body = exchange.getMessage().getBody(String.class);
        try {
            jdbc.sql("""
                            UPDATE idempotency_keys SET status = :status, response = :response
                            WHERE caller = :caller AND idem_key = :key AND claim = :claim""")
                    .param("status", exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, 200, Integer.class))
                    .param("response", body)
                    .param("caller", exchange.getProperty(CALLER_PROPERTY, String.class))
                    .param("key", exchange.getProperty(KEY_PROPERTY, String.class))
                    .param("claim", claim)
                    .update();
        } catch (DataAccessException e) {
            // the call succeeded: its answer stands. The key stays claimed, so a retry waits, then
            // (after abandoned) runs the call again with the same event ids: nothing is applied twice
            log.warn("the answer under {} '{}' could not be kept ({}); a retry gets the same events again after {}",
                    HEADER, exchange.getProperty(KEY_PROPERTY), e.getMessage(), abandoned);
        }
        exchange.removeProperty(CLAIM_PROPERTY);
    }

    /**
     * After an error answer: gives the key back (a corrected retry may use it), unless the call
     * published something that may still take effect ({@link CloudEvents#PUBLISHED_PROPERTY}): then
     * the key stays claimed, and a retry runs the call again with the same event ids once the claim
     * counts as abandoned.
     */
    public void release(Exchange exchange) {
        String claim = exchange.getProperty(CLAIM_PROPERTY, String.class);
        if (claim == null) {
            return;
        }
        if (exchange.getProperty(CloudEvents.PUBLISHED_PROPERTY, false, Boolean.class)) {
            log.warn("{} '{}' stays claimed: the call failed after publishing; a retry after {} gets the same events",
                    HEADER, exchange.getProperty(KEY_PROPERTY), abandoned);
            exchange.removeProperty(CLAIM_PROPERTY);
            return;
        }
        try {
            delete(exchange.getProperty(CALLER_PROPERTY, String.class), exchange.getProperty(KEY_PROPERTY, String.class), claim);
        } catch (RuntimeException e) {
            log.warn("Idempotency-Key could not be given back ({}); it is free again after {}", e.getMessage(), abandoned);
        }
        exchange.removeProperty(CLAIM_PROPERTY);
    }

    /** Sets the kept answer on the exchange (the route's onException for {@link Replay}). */
    public void answer(Exchange exchange) {
        Replay replay = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Replay.class);
        exchange.getMessage().removeHeaders("*");
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, replay.status());
        exchange.getMessage().setHeader("Content-Type", "application/json");
        exchange.getMessage().setHeader("Idempotent-Replayed", "true");
        exchange.getMessage().setBody(replay.body());
    }

    private record Kept(String requestHash, String claim, String seed, String sourceBase, Integer status, String response,
                        Instant claimedAt) {
    }

    private boolean insert(String caller, String key, String hash, String claim, String seed) {
        try {
            return jdbc.sql("""
                            INSERT INTO idempotency_keys (caller, idem_key, request_hash, claim, seed, source_base, claimed_at)
                            VALUES (:caller, :key, :hash, :claim, :seed, :base, :now)
                            ON CONFLICT DO NOTHING""")
                    .param("caller", caller)
                    .param("key", key)
                    .param("hash", hash)
                    .param("claim", claim)
                    .param("seed", seed)
                    .param("base", sources.base())
                    .param("now", Timestamp.from(Instant.now()))
                    .update() == 1;
        } catch (DuplicateKeyException e) {
            return false;
        }
    }

    private Optional<Kept> find(String caller, String key) {
        return jdbc.sql("""
                        SELECT request_hash, claim, seed, source_base, status, response, claimed_at FROM idempotency_keys
                        WHERE caller = :caller AND idem_key = :key""")
                .param("caller", caller)
                .param("key", key)
                .query((rs, n) -> new Kept(rs.getString("request_hash"), rs.getString("claim"), rs.getString("seed"),
                        rs.getString("source_base"), (Integer) rs.getObject("status"), rs.getString("response"),
                        rs.getTimestamp("claimed_at").toInstant()))
                .optional();
    }

    /** Takes over an abandoned claim: true if it was still the one seen (no other retry took it first). */
    private boolean takeOver(String caller, String key, String abandonedClaim, String claim) {
        return jdbc.sql("""
                        UPDATE idempotency_keys SET claim = :claim, claimed_at = :now
                        WHERE caller = :caller AND idem_key = :key AND claim = :abandoned AND status IS NULL""")
                .param("claim", claim)
                .param("now", Timestamp.from(Instant.now()))
                .param("caller", caller)
                .param("key", key)
                .param("abandoned", abandonedClaim)
                .update() == 1;
    }

    private void delete(String caller, String key, String claim) {
        jdbc.sql("DELETE FROM idempotency_keys WHERE caller = :caller AND idem_key = :key AND claim = :claim")
                .param("caller", caller).param("key", key).param("claim", claim).update();
    }

    private static String hash(Exchange exchange) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            String method = exchange.getMessage().getHeader(Exchange.HTTP_METHOD, "POST", String.class);
            String path = exchange.getMessage().getHeader(Exchange.HTTP_URI, "", String.class);
            // the query is part of the request: ?subscription=a&limit=1 is another call than ?subscription=b
            String query = exchange.getMessage().getHeader(Exchange.HTTP_QUERY, "", String.class);
            digest.update((method + " " + path + (query.isEmpty() ? "" : "?" + query) + "\n").getBytes(StandardCharsets.UTF_8));
            // one CloudEvent in binary mode: its attributes are part of the request, and so is its
            // Content-Type, the event's datacontenttype
            Map<String, String> attributes = CloudEventHeaders.of(exchange);
            attributes.forEach((name, value) ->
                    digest.update(("ce-" + name + ": " + value + "\n").getBytes(StandardCharsets.UTF_8)));
            if (!attributes.isEmpty()) {
                String contentType = exchange.getMessage().getHeader(Exchange.CONTENT_TYPE, "", String.class);
                digest.update(("content-type: " + contentType.strip() + "\n").getBytes(StandardCharsets.UTF_8));
            }
            byte[] body = exchange.getMessage().getBody(byte[].class);
            if (body != null) {
                digest.update(body);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    /** The draft sends the key as a structured-field string, in quotes; bare keys are taken too. */
    private static String unquoted(String key) {
        return key.length() >= 2 && key.startsWith("\"") && key.endsWith("\"") ? key.substring(1, key.length() - 1) : key;
    }

    private static void pause() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConflictException("interrupted while waiting for the first request with this key");
        }
    }
}
