package io.shopevents.security;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import io.shopevents.api.IdempotencyKeys;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.web.filter.OncePerRequestFilter;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;

/**
 * Takes the API key from {@code X-API-Key} or {@code Authorization: Bearer <key>}. A known key
 * authenticates the call with the key's scopes as authorities {@code SCOPE_<scope>}; an unknown
 * one is answered 401 at once; no key leaves the call anonymous (open paths only).
 */
class ApiKeyAuthenticationFilter extends OncePerRequestFilter {

    static final String HEADER = "X-API-Key";
    private static final String BEARER = "Bearer ";

    private final ApiKeys apiKeys;
    private final AuthenticationEntryPoint unauthorized;

    ApiKeyAuthenticationFilter(ApiKeys apiKeys, AuthenticationEntryPoint unauthorized) {
        this.apiKeys = apiKeys;
        this.unauthorized = unauthorized;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String presented = presentedKey(request);
        if (presented != null) {
            var caller = apiKeys.callerOf(presented);
            if (caller.isEmpty()) {
                unauthorized.commence(request, response, new BadCredentialsException("unknown API key"));
                return;
            }
            var authorities = caller.get().scopes().stream().map(s -> new SimpleGrantedAuthority("SCOPE_" + s)).toList();
            SecurityContextHolder.getContext().setAuthentication(
                    UsernamePasswordAuthenticationToken.authenticated(caller.get().name(), null, authorities));
            // who calls, for what is kept per caller (Idempotency-Key); whatever the client sent under that name is replaced
            request = new CallerRequest(request, caller.get().name());
        }
        chain.doFilter(request, response);
    }

    /** The request with X-Shop-Caller set to the name of the key's holder. */
    private static final class CallerRequest extends HttpServletRequestWrapper {
        private final String caller;

        CallerRequest(HttpServletRequest request, String caller) {
            super(request);
            this.caller = caller;
        }

        @Override
        public String getHeader(String name) {
            return IdempotencyKeys.CALLER_HEADER.equalsIgnoreCase(name) ? caller : super.getHeader(name);
        }

        @Override
        public Enumeration<String> getHeaders(String name) {
            return IdempotencyKeys.CALLER_HEADER.equalsIgnoreCase(name)
                    ? Collections.enumeration(List.of(caller)) : super.getHeaders(name);
        }

        @Override
        public Enumeration<String> getHeaderNames() {
            List<String> names = new ArrayList<>();
            for (Enumeration<String> e = super.getHeaderNames(); e.hasMoreElements(); ) {
                String name = e.nextElement();
                if (!IdempotencyKeys.CALLER_HEADER.equalsIgnoreCase(name)) {
                    names.add(name);
                }
            }
            names.add(IdempotencyKeys.CALLER_HEADER);
            return Collections.enumeration(names);
        }
    }

    private static String presentedKey(HttpServletRequest request) {
        String key = request.getHeader(HEADER);
        if (key != null && !key.isBlank()) {
            return key.strip();
        }
        String authorization = request.getHeader("Authorization");
        if (authorization != null && authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return authorization.substring(BEARER.length()).strip();
        }
        return null;
    }
}
