package io.shopevents.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.util.unit.DataSize;
import org.springframework.web.filter.OncePerRequestFilter;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Guards the body of every write to /api before any route sees it, byte by byte, so that no body
 * a client sends gets a 500:
 * <ul>
 * <li>415 for a body that is not JSON (by Content-Type), or is declared in a charset other than
 * UTF-8, or compressed (Content-Encoding): JSON travels as UTF-8, uncompressed;</li>
 * <li>413 for a body over 64 KiB, 1 MiB for a batch of events (a body without Content-Length is read at most one byte past the
 * limit, so an oversized upload is never held whole in memory);</li>
 * <li>400 for bytes that are not valid UTF-8; a leading byte-order mark is dropped.</li>
 * </ul>
 * What passes reaches the routes as the UTF-8 text it is.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 20)
public class RequestBodyGuard extends OncePerRequestFilter {

    static final DataSize MAX_BODY = DataSize.ofKilobytes(64);
    /** POST /api/events: a batch of up to 1,000 events. */
    static final DataSize MAX_BATCH_BODY = DataSize.ofMegabytes(1);

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
        boolean chunked = request.getHeader("Transfer-Encoding") != null;
        if (declared <= 0 && !chunked) {
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
        DataSize max = limitOf(request);
        long limit = max.toBytes();
        if (declared > limit) {
            reject(response, HttpStatus.PAYLOAD_TOO_LARGE, tooLarge(max));
            return;
        }
        byte[] body = request.getInputStream().readNBytes((int) limit + 1);
        if (body.length > limit) {
            reject(response, HttpStatus.PAYLOAD_TOO_LARGE, tooLarge(max));
            return;
        }
        String text = utf8(body);
        if (text == null) {
            reject(response, HttpStatus.BAD_REQUEST, "the body is not valid UTF-8 (at byte " + firstBadByte(body) + ")");
            return;
        }
        if (text.startsWith("\uFEFF")) {
            // a byte-order mark says nothing UTF-8 needs (3 bytes, EF BB BF)
            text = text.substring(1);
            body = java.util.Arrays.copyOfRange(body, 3, body.length);
        }
        chain.doFilter(new Utf8BodyRequest(request, text, body), response);
    }

    /**
     * Strict UTF-8: the text, or null when a sequence is malformed, truncated or an encoded
     * surrogate (no replacement characters, which would change what the client sent).
     */
    static String utf8(byte[] bytes) {
        try {
            return decoder().decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /** Where the first byte that is not UTF-8 is (0-based). */
    static int firstBadByte(byte[] bytes) {
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length + 1);
        decoder().decode(in, out, true);
        return in.position();
    }

    private static CharsetDecoder decoder() {
        return StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
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

    private static DataSize limitOf(HttpServletRequest request) {
        return "/api/events".equals(request.getRequestURI()) ? MAX_BATCH_BODY : MAX_BODY;
    }

    private static String tooLarge(DataSize max) {
        return "the body is larger than " + (max.toMegabytes() >= 1 ? max.toMegabytes() + " MiB" : max.toKilobytes() + " KiB");
    }

    private void reject(HttpServletResponse response, HttpStatus status, String detail) throws IOException {
        response.setStatus(status.value());
        response.setContentType(Problem.MEDIA_TYPE);
        mapper.writeValue(response.getOutputStream(), Problem.of(status.value(), status.getReasonPhrase(), detail));
    }

    /** The request with its (bounded, checked) body as UTF-8 text. */
    private static final class Utf8BodyRequest extends HttpServletRequestWrapper {
        private final String text;
        private final byte[] bytes;

        Utf8BodyRequest(HttpServletRequest request, String text, byte[] bytes) {
            super(request);
            this.text = text;
            this.bytes = bytes;
        }

        @Override
        public String getCharacterEncoding() {
            return StandardCharsets.UTF_8.name();
        }

        @Override
        public int getContentLength() {
            return bytes.length;
        }

        @Override
        public long getContentLengthLong() {
            return bytes.length;
        }

        @Override
        public BufferedReader getReader() {
            // a buffer the size of the text, not BufferedReader's 8,192 characters per call
            return new BufferedReader(new StringReader(text), Math.max(1, Math.min(text.length(), 8192)));
        }

        @Override
        public ServletInputStream getInputStream() {
            ByteArrayInputStream in = new ByteArrayInputStream(bytes);
            return new ServletInputStream() {
                @Override
                public int read() {
                    return in.read();
                }

                @Override
                public int read(byte[] b, int off, int len) {
                    return in.read(b, off, len);
                }

                @Override
                public boolean isFinished() {
                    return in.available() == 0;
                }

                @Override
                public boolean isReady() {
                    return true;
                }

                @Override
                public void setReadListener(ReadListener listener) {
                    throw new UnsupportedOperationException("synchronous reads only");
                }
            };
        }
    }
}
