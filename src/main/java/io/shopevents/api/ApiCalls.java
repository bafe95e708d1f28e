package io.shopevents.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.shopevents.tracing.EventTracing;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * What every REST call shares: admission, the bounds on how long a body may take to arrive and a
 * call to be answered, and what carries its context (trace, correlation id, caller) from thread to
 * thread. Starts each call ({@link ApiCall}).
 */
@Component
public class ApiCalls implements DisposableBean {

    final Admission admission;
    final ObjectMapper mapper;
    final EventTracing tracing;
    /** How long a body may take to arrive in full (a slow or stalled client), then 408. */
    final Duration bodyTimeout;
    /** How long a call may take in all before it is answered 504: a bound that a healthy service never reaches. */
    final Duration callTimeout;
    final ScheduledExecutorService deadlines = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "api-deadlines");
        thread.setDaemon(true);
        return thread;
    });

    public ApiCalls(Admission admission, ObjectMapper mapper, EventTracing tracing,
                    @Value("${shop.api.body-timeout}") Duration bodyTimeout,
                    @Value("${shop.api.call-timeout}") Duration callTimeout) {
        this.admission = admission;
        this.mapper = mapper;
        this.tracing = tracing;
        this.bodyTimeout = bodyTimeout;
        this.callTimeout = callTimeout;
    }

    void start(AsyncPlatformHttp.AsyncConsumer consumer, HttpServletRequest request, HttpServletResponse response) {
        new ApiCall(this, consumer, request, response).start();
    }

    @Override
    public void destroy() {
        deadlines.shutdownNow();
    }
}
