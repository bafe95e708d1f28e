package io.shopevents.security;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.web.filter.OncePerRequestFilter;

import java.io.IOException;

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
        }
        chain.doFilter(request, response);
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
