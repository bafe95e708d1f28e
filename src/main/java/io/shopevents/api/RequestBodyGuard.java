package io.shopevents.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.boot.autoconfigure.security.SecurityProperties;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.util.unit.DataSize;
import org.springframework.web.filter.OncePerRequestFilter;

import java.io.IOException;

/**
 * Guards the body of every write to /api by what its headers say, before a byte of it is read,
 * and after the API key has been checked (a caller without a key is refused before it can make
 * the service read anything):
 * <ul>
 * <li>415 for a body that is not JSON (by Content-Type), or is declared in a charset other than
 * UTF-8, or compressed (Content-Encoding): JSON travels as UTF-8, uncompressed;</li>
 * <li>413 for a body declared larger than 64 KiB (1 MiB for a batch of events).</li>
 * </ul>
 * The body itself is read without holding a thread, bounded and checked as UTF-8, by the call
 * that serves it ({@link ApiCall}, {@link RequestBodies}).
 */
@Component
@Order(SecurityProperties.DEFAULT_FILTER_ORDER + 10)
public class RequestBodyGuard extends OncePerRequestFilter {

    private final ObjectMapper mapper;

    public RequestBodyGuard(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        String method = request.getMethod();
        boolean write = "POST".equals(method) || "PUT".equals(method) || "PATCH".equals(method);
        return !write || !request.getRequestURI().startsWith("/api/");
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        long declared = request.getContentLengthLong();
        if (declared <= 0 && !hasBody(request)) {
            chain.doFilter(request, response); // no body (POST /api/dead-letters/replay): nothing to guard
            return;
        }
        String encoding = request.getHeader("Content-Encoding");
        if (encoding != null && !encoding.isBlank() && !"identity".equalsIgnoreCase(encoding.strip())) {
            reject(response, HttpStatus.UNSUPPORTED_MEDIA_TYPE, "Content-Encoding '" + encoding.strip()
                    + "' is not supported: send the body uncompressed");
            return;
        }
        MediaType type = mediaType(request.getContentType());
        if (type == null || !isJson(type)) {
            reject(response, HttpStatus.UNSUPPORTED_MEDIA_TYPE, "the body must be JSON (Content-Type: application/json), not "
                    + (request.getContentType() == null ? "a body without Content-Type" : request.getContentType()));
            return;
        }
        String charset = type.getParameter("charset");
        if (charset != null && !isUtf8(charset)) {
            reject(response, HttpStatus.UNSUPPORTED_MEDIA_TYPE, "the body must be UTF-8 (Content-Type: application/json;"
                    + " charset=utf-8), not " + charset);
            return;
        }
        DataSize max = RequestBodies.limitOf(request);
        if (declared > max.toBytes()) {
            reject(response, HttpStatus.PAYLOAD_TOO_LARGE, RequestBodies.tooLarge(max));
            return;
        }
        chain.doFilter(request, response);
    }

    /** A body comes when its length is declared, or when it is sent in chunks. */
    static boolean hasBody(HttpServletRequest request) {
        return request.getContentLengthLong() > 0 || request.getHeader("Transfer-Encoding") != null;
    }

    private static MediaType mediaType(String contentType) {
        if (contentType == null) {
            return null;
        }
        try {
            return MediaType.parseMediaType(contentType);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static boolean isJson(MediaType type) {
        return MediaType.APPLICATION_JSON.isCompatibleWith(type)
                || ("application".equals(type.getType()) && type.getSubtype().endsWith("+json"));
    }

    private static boolean isUtf8(String charset) {
        String name = charset.strip().replace("\"", "");
        return name.equalsIgnoreCase("utf-8") || name.equalsIgnoreCase("utf8");
    }

    private void reject(HttpServletResponse response, HttpStatus status, String detail) throws IOException {
        response.setStatus(status.value());
        response.setContentType(Problem.MEDIA_TYPE);
        mapper.writeValue(response.getOutputStream(), Problem.of(status.value(), status.getReasonPhrase(), detail));
    }
}
