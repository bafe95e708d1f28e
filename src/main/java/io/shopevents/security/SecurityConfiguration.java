package io.shopevents.security;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.shopevents.api.Problem;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.observation.SecurityObservationSettings;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.access.AccessDeniedHandler;
import org.springframework.security.web.authentication.AnonymousAuthenticationFilter;
import org.springframework.security.web.firewall.HttpFirewall;
import org.springframework.security.web.firewall.RequestRejectedHandler;
import org.springframework.security.web.firewall.StrictHttpFirewall;

import java.io.IOException;

/**
 * Who may call what. Every call needs an API key with the scope of what it does, except the
 * OpenAPI document and the health and info endpoints:
 * <pre>
 *   POST /api/users            users:write       GET /api/orders/**     orders:read
 *   POST /api/orders           orders:write      GET /api/payments/**   payments:read
 *   POST /api/payments         payments:write    /api/dead-letters/**   dead-letters:admin
 *   POST /api/events/{type}    events:write      /actuator/** (others)  metrics:read
 *   POST /api/events (a batch) each event the scope of its type
 *   GET /api/subscriptions/**, /api/route-files  subscriptions:read   POST /api/subscriptions/{name}/replay|pause|resume  subscriptions:admin
 * </pre>
 * So a shop front end that may register users cannot mark payments processed. No key: 401;
 * a key without the scope: 403; both with a problem+json body.
 */
@Configuration
@EnableConfigurationProperties(ApiKeys.class)
public class SecurityConfiguration {

    @Bean
    SecurityFilterChain api(HttpSecurity http, ApiKeys apiKeys, ObjectMapper mapper) throws Exception {
        AuthenticationEntryPoint unauthorized = (request, response, e) -> {
            response.setHeader("WWW-Authenticate", "ApiKey header=\"" + ApiKeyAuthenticationFilter.HEADER + "\", Bearer");
            problem(response, mapper, HttpStatus.UNAUTHORIZED,
                    "an API key is needed (header " + ApiKeyAuthenticationFilter.HEADER + " or Authorization: Bearer)"
                            + (e.getMessage() != null && e.getMessage().contains("unknown") ? "; this one is not known" : ""));
        };
        AccessDeniedHandler forbidden = (request, response, e) -> problem(response, mapper, HttpStatus.FORBIDDEN,
                "this API key does not have the scope for " + request.getMethod() + " " + request.getRequestURI());
        return http
                .csrf(csrf -> csrf.disable()) // no cookies, no sessions: nothing for CSRF to ride on
                .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .httpBasic(b -> b.disable())
                .formLogin(f -> f.disable())
                .logout(l -> l.disable())
                .requestCache(c -> c.disable())
                .addFilterBefore(new ApiKeyAuthenticationFilter(apiKeys, unauthorized), AnonymousAuthenticationFilter.class)
                .exceptionHandling(e -> e.authenticationEntryPoint(unauthorized).accessDeniedHandler(forbidden))
                .authorizeHttpRequests(authorize -> authorize
                        // an error page for a call that was authorized, or refused, already
                        .dispatcherTypeMatchers(DispatcherType.ERROR).permitAll()
                        .requestMatchers(HttpMethod.GET, "/api/openapi.json", "/api/asyncapi.json").permitAll()
                        .requestMatchers("/actuator/health", "/actuator/health/**", "/actuator/info").permitAll()
                        .requestMatchers(HttpMethod.POST, "/api/users").hasAuthority("SCOPE_users:write")
                        .requestMatchers(HttpMethod.POST, "/api/orders").hasAuthority("SCOPE_orders:write")
                        .requestMatchers(HttpMethod.POST, "/api/payments").hasAuthority("SCOPE_payments:write")
                        .requestMatchers(HttpMethod.POST, "/api/events/*").hasAuthority("SCOPE_events:write")
                        // a batch: each event needs the scope of its type (EventBatches)
                        .requestMatchers(HttpMethod.POST, "/api/events").authenticated()
                        .requestMatchers(HttpMethod.GET, "/api/orders/**").hasAuthority("SCOPE_orders:read")
                        .requestMatchers(HttpMethod.GET, "/api/payments/**").hasAuthority("SCOPE_payments:read")
                        .requestMatchers("/api/dead-letters", "/api/dead-letters/**").hasAuthority("SCOPE_dead-letters:admin")
                        .requestMatchers(HttpMethod.POST, "/api/subscriptions/*/replay", "/api/subscriptions/*/pause",
                                "/api/subscriptions/*/resume").hasAuthority("SCOPE_subscriptions:admin")
                        .requestMatchers(HttpMethod.GET, "/api/subscriptions", "/api/subscriptions/**", "/api/route-files")
                                .hasAuthority("SCOPE_subscriptions:read")
                        .requestMatchers("/actuator/**").hasAuthority("SCOPE_metrics:read")
                        .anyRequest().authenticated())
                .build();
    }

    /**
     * The request firewall, loosened only where ids need it: an id may hold ';' or '%', which
     * clients send percent-encoded (%3B, %25). Everything else it refuses (encoded slashes and
     * backslashes, path traversal, non-printable characters) stays refused.
     */
    @Bean
    HttpFirewall httpFirewall() {
        StrictHttpFirewall firewall = new StrictHttpFirewall();
        firewall.setAllowSemicolon(true);
        firewall.setAllowUrlEncodedPercent(true);
        return firewall;
    }

    /** A request the firewall refuses gets problem+json too, not a bare 400. */
    @Bean
    RequestRejectedHandler problemForRejectedRequests(ObjectMapper mapper) {
        return (request, response, e) -> problem(response, mapper, HttpStatus.BAD_REQUEST,
                "the request was refused: " + e.getMessage());
    }

    /**
     * No observation per security filter: it wrapped every filter of every call in an observation
     * with its own counters, a fifth of the HTTP threads' time (bench/README.md). The
     * http.server.requests timers still see every call.
     */
    @Bean
    SecurityObservationSettings noSecurityFilterObservations() {
        return SecurityObservationSettings.noObservations();
    }

    private static void problem(HttpServletResponse response, ObjectMapper mapper, HttpStatus status, String detail)
            throws IOException {
        response.setStatus(status.value());
        response.setContentType(Problem.MEDIA_TYPE);
        mapper.writeValue(response.getOutputStream(), Problem.of(status.value(), status.getReasonPhrase(), detail));
    }
}
