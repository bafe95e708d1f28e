package io.shopevents.api;

import io.shopevents.tracing.CorrelationIds;
import io.micrometer.tracing.Span;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.springframework.http.HttpStatus;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.context.SecurityContextHolder;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * One REST call, from its headers to its answer, answered exactly once:
 * <ol>
 * <li>its body, if it has one, is read as it arrives (no thread waits for a slow client), at most
 * 64 KiB (1 MiB for a batch: 413) and within shop.api.body-timeout (408), and must be UTF-8 (400);</li>
 * <li>then it is admitted, or refused at once with 503 and Retry-After when the service is at
 * capacity ({@link Admission}): nothing is parsed, published or stored for a refused call;</li>
 * <li>its route runs, and the call is answered when the route is done; a call not answered within
 * shop.api.call-timeout gets 504 (its outcome is unknown: retry with the same Idempotency-Key).</li>
 * </ol>
 * Its trace, correlation id and caller go with it to whichever thread takes it on.
 */
final class ApiCall implements ReadListener, AsyncListener {

    /** The exchange property with the call's admission, which a batch widens to its events. */
    static final String PERMIT_PROPERTY = "admissionPermit";
    /** The exchange property with the caller's scopes (the API key's). */
    static final String SCOPES_PROPERTY = "callerScopes";
    private static final Logger log = LoggerFactory.getLogger(ApiCall.class);

    private final ApiCalls calls;
    private final AsyncPlatformHttp.AsyncConsumer consumer;
    private final HttpServletRequest request;
    private final HttpServletResponse response;
    private final AsyncContext async;
    private final String correlationId;
    private final Span span;
    private final Set<String> scopes;
    private final AtomicBoolean answered = new AtomicBoolean();
    private ByteArrayOutputStream body;
    private long limit;
    private ServletInputStream in;
    private ScheduledFuture<?> bodyDeadline;
    private volatile Admission.Permit permit;

    ApiCall(ApiCalls calls, AsyncPlatformHttp.AsyncConsumer consumer, HttpServletRequest request, HttpServletResponse response) {
        this.calls = calls;
        this.consumer = consumer;
        this.request = request;
        this.response = response;
        this.correlationId = MDC.get(CorrelationIds.KEY);
        this.span = calls.tracing.current();
        this.scopes = scopes(SecurityContextHolder.getContext().getAuthentication());
        this.async = request.startAsync(request, response);
        async.setTimeout(calls.callTimeout.toMillis());
        async.addListener(this);
    }

    void start() {
        if (!RequestBodyGuard.hasBody(request)) {
            work(request);
            return;
        }
        limit = RequestBodies.limitOf(request).toBytes();
        body = new ByteArrayOutputStream((int) Math.max(256, Math.min(request.getContentLengthLong(), limit)));
        bodyDeadline = calls.deadlines.schedule(this::bodyTooSlow, calls.bodyTimeout.toMillis(), TimeUnit.MILLISECONDS);
        try {
            in = request.getInputStream();
            in.setReadListener(this);
        } catch (IOException | IllegalStateException e) {
            refuse(HttpStatus.BAD_REQUEST, "the body could not be read (" + e.getMessage() + ")", true);
        }
    }

    @Override
    public void onDataAvailable() throws IOException {
        byte[] buffer = new byte[8192];
        while (!answered.get() && in.isReady()) {
            int n = in.read(buffer);
            if (n < 0) {
                return; // onAllDataRead follows
            }
            if (body.size() + n > limit) {
                cancelBodyDeadline();
                refuse(HttpStatus.PAYLOAD_TOO_LARGE, RequestBodies.tooLarge(RequestBodies.limitOf(request)), true);
                return;
            }
            body.write(buffer, 0, n);
        }
    }

    @Override
    public void onAllDataRead() {
        cancelBodyDeadline();
        if (answered.get()) {
            return;
        }
        byte[] bytes = body.toByteArray();
        String text = RequestBodies.utf8(bytes);
        if (text == null) {
            refuse(HttpStatus.BAD_REQUEST, "the body is not valid UTF-8 (at byte " + RequestBodies.firstBadByte(bytes) + ")", false);
            return;
        }
        work(RequestBodies.withBody(request, text, bytes));
    }

    @Override
    public void onError(Throwable failure) {
        cancelBodyDeadline();
        refuse(HttpStatus.BAD_REQUEST, "the body could not be read (" + failure.getMessage() + ")", true);
    }

    private void bodyTooSlow() {
        refuse(HttpStatus.REQUEST_TIMEOUT, "the body did not arrive within " + calls.bodyTimeout.toSeconds()
                + " s; send it in one go", true);
    }

    /** The body is here (or there is none): admitted, the route runs; else refused at once. */
    private void work(HttpServletRequest withBody) {
        Optional<Admission.Permit> admitted = calls.admission.admit();
        if (admitted.isEmpty()) {
            refuse(HttpStatus.SERVICE_UNAVAILABLE, calls.admission.refusal(), false);
            return;
        }
        permit = admitted.get();
        MDC.put(CorrelationIds.KEY, correlationId);
        try (var scope = span == null ? null : calls.tracing.inScope(span)) {
            consumer.process(this, withBody, response);
        } finally {
            MDC.remove(CorrelationIds.KEY);
        }
    }

    /** What the route's steps may need of the call (running on threads its filters never saw). */
    void prepare(Exchange exchange) {
        exchange.setProperty(PERMIT_PROPERTY, permit);
        exchange.setProperty(SCOPES_PROPERTY, scopes);
    }

    /** The route is done: its answer is written (unless the call was answered already), and the permit given back. */
    void finish(Exchange exchange, Consumer<Boolean> respond) {
        boolean first = answered.compareAndSet(false, true);
        boolean overloaded = exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, 200, Integer.class) == 503;
        try {
            respond.accept(first);
        } finally {
            release(overloaded);
            if (first) {
                complete();
            }
        }
    }

    /** Admitted, but no route could run for it. */
    void finishWithoutExchange(int status, String detail) {
        release(true);
        refuse(HttpStatus.valueOf(status), detail, false);
    }

    private void release(boolean overloaded) {
        Admission.Permit held = permit;
        permit = null;
        if (held != null) {
            held.release(overloaded);
        }
    }

    /** Answers with a problem, unless the call has been answered already. */
    private void refuse(HttpStatus status, String detail, boolean closeConnection) {
        if (!answered.compareAndSet(false, true)) {
            return;
        }
        try {
            response.setStatus(status.value());
            response.setContentType(Problem.MEDIA_TYPE);
            if (status == HttpStatus.SERVICE_UNAVAILABLE) {
                response.setHeader("Retry-After", "1");
            }
            if (closeConnection) {
                // what is left of the body must not be read as the next request
                response.setHeader("Connection", "close");
            }
            calls.mapper.writeValue(response.getOutputStream(), Problem.of(status.value(), status.getReasonPhrase(), detail));
        } catch (IOException | IllegalStateException e) {
            // the client has gone
        } finally {
            complete();
        }
    }

    private void complete() {
        try {
            async.complete();
        } catch (IllegalStateException e) {
            // completed already (the client went away)
        }
    }

    private void cancelBodyDeadline() {
        if (bodyDeadline != null) {
            bodyDeadline.cancel(false);
        }
    }

    // --- AsyncListener: the container's view of the call

    @Override
    public void onTimeout(AsyncEvent event) {
        log.warn("{} {} was not answered within {} s; answered 504", request.getMethod(), request.getRequestURI(),
                calls.callTimeout.toSeconds());
        refuse(HttpStatus.GATEWAY_TIMEOUT, "no answer within " + calls.callTimeout.toSeconds() + " s; the outcome is"
                + " not known: retry with the same Idempotency-Key", true);
    }

    @Override
    public void onError(AsyncEvent event) {
        // the connection broke: nothing can be answered any more (the route, if it runs, goes on)
        cancelBodyDeadline();
        answered.set(true);
        complete();
    }

    @Override
    public void onComplete(AsyncEvent event) {
        // answered
    }

    @Override
    public void onStartAsync(AsyncEvent event) {
        // started once, in the constructor
    }

    private static Set<String> scopes(Authentication caller) {
        if (caller == null) {
            return Set.of();
        }
        return caller.getAuthorities().stream().map(GrantedAuthority::getAuthority)
                .filter(a -> a.startsWith("SCOPE_")).map(a -> a.substring("SCOPE_".length()))
                .collect(Collectors.toUnmodifiableSet());
    }
}
