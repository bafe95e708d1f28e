package io.shopevents.api;

import io.shopevents.tracing.CorrelationIds;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.MDC;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

import java.io.IOException;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Every call carries a correlation id: the caller's X-Correlation-Id if it is a sensible one,
 * else a new one. It is returned in the answer, put in the log context of this thread, and
 * handed on to the routes as the request's X-Correlation-Id header, which the publishing route
 * puts on the message (AMQP correlation_id) for the consumer.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 1)
public class CorrelationIdFilter extends OncePerRequestFilter {

    public static final String HEADER = "X-Correlation-Id";
    public static final String KEY = CorrelationIds.KEY;

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String given = request.getHeader(HEADER);
        // anything else (too long, spaces, control characters) is not echoed into answers and logs
        String id = CorrelationIds.orNew(given);
        response.setHeader(HEADER, id);
        MDC.put(KEY, id);
        try {
            chain.doFilter(new CorrelatedRequest(request, id), response);
        } finally {
            MDC.remove(KEY);
        }
    }

    /** The request with X-Correlation-Id set to the id chosen for it. */
    private static final class CorrelatedRequest extends HttpServletRequestWrapper {
        private final String id;

        CorrelatedRequest(HttpServletRequest request, String id) {
            super(request);
            this.id = id;
        }

        @Override
        public String getHeader(String name) {
            return HEADER.equalsIgnoreCase(name) ? id : super.getHeader(name);
        }

        @Override
        public Enumeration<String> getHeaders(String name) {
            return HEADER.equalsIgnoreCase(name) ? Collections.enumeration(Set.of(id)) : super.getHeaders(name);
        }

        @Override
        public Enumeration<String> getHeaderNames() {
            Set<String> names = new LinkedHashSet<>();
            for (Enumeration<String> e = super.getHeaderNames(); e.hasMoreElements(); ) {
                String name = e.nextElement();
                if (!HEADER.equalsIgnoreCase(name)) {
                    names.add(name);
                }
            }
            names.add(HEADER);
            return Collections.enumeration(names);
        }
    }
}
