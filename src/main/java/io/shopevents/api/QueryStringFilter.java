package io.shopevents.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.shopevents.tracing.CorrelationIds;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.util.UriUtils;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * A query string with a malformed percent-escape (?cursor=%%%) answers 400: Tomcat drops such a
 * parameter without a word, so the call would be answered as if it had not been given (the
 * delivery log's first page for a broken cursor).
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 20)
public class QueryStringFilter extends OncePerRequestFilter {

    private final ObjectMapper mapper;

    public QueryStringFilter(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        return request.getQueryString() == null || !request.getRequestURI().startsWith("/api/");
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String query = request.getQueryString();
        for (String part : query.split("[&=]")) {
            if (!decodes(part)) {
                HttpStatus status = HttpStatus.BAD_REQUEST;
                response.setStatus(status.value());
                response.setContentType(Problem.MEDIA_TYPE);
                mapper.writeValue(response.getOutputStream(), Problem.of(status.value(), status.getReasonPhrase(),
                        "the query holds a malformed percent-escape: " + CorrelationIds.escape(part)));
                return;
            }
        }
        chain.doFilter(request, response);
    }

    private static boolean decodes(String part) {
        try {
            UriUtils.decode(part, StandardCharsets.UTF_8);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
