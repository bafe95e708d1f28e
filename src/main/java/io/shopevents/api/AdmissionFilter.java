package io.shopevents.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

import java.io.IOException;

/**
 * The first thing a call to /api meets: while the service is at capacity it is refused here, with
 * 503 and Retry-After, before anything else is done for it (no security, no routing), so that
 * refusing costs as little as it can. A call that passes is admitted for real once its body has
 * arrived ({@link ApiCall}): a slow client never holds a place meanwhile.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
public class AdmissionFilter extends OncePerRequestFilter {

    private final Admission admission;
    private final ObjectMapper mapper;

    public AdmissionFilter(Admission admission, ObjectMapper mapper) {
        this.admission = admission;
        this.mapper = mapper;
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        return !request.getRequestURI().startsWith("/api/");
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if (admission.atCapacity()) {
            admission.refusedEarly();
            HttpStatus status = HttpStatus.SERVICE_UNAVAILABLE;
            byte[] problem = mapper.writeValueAsBytes(Problem.of(status.value(), status.getReasonPhrase(), admission.refusal()));
            response.setStatus(status.value());
            response.setHeader("Retry-After", "1");
            response.setContentType(Problem.MEDIA_TYPE);
            response.setContentLength(problem.length);
            response.getOutputStream().write(problem);
            return;
        }
        chain.doFilter(request, response);
    }
}
