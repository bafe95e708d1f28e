package io.shopevents.api;

import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import org.springframework.util.unit.DataSize;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * What a request body must be once it has been read: at most 64 KiB (1 MiB for a batch of events),
 * strict UTF-8 (a leading byte-order mark is dropped). The routes get it as the UTF-8 text it is.
 */
final class RequestBodies {

    static final DataSize MAX_BODY = DataSize.ofKilobytes(64);
    /** POST /api/events: a batch of up to 1,000 events. */
    static final DataSize MAX_BATCH_BODY = DataSize.ofMegabytes(1);

    private RequestBodies() {
    }

    static DataSize limitOf(HttpServletRequest request) {
        return "/api/events".equals(request.getRequestURI()) ? MAX_BATCH_BODY : MAX_BODY;
    }

    static String tooLarge(DataSize max) {
        return "the body is larger than " + (max.toMegabytes() >= 1 ? max.toMegabytes() + " MiB" : max.toKilobytes() + " KiB");
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

    /** The request with its body, read and checked: UTF-8 text, without a byte-order mark. */
    static HttpServletRequest withBody(HttpServletRequest request, String text, byte[] bytes) {
        if (text.startsWith("\uFEFF")) {
            // a byte-order mark says nothing UTF-8 needs (3 bytes, EF BB BF)
            return new Utf8BodyRequest(request, text.substring(1), Arrays.copyOfRange(bytes, 3, bytes.length));
        }
        return new Utf8BodyRequest(request, text, bytes);
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
                    throw new UnsupportedOperationException("the body has been read");
                }
            };
        }
    }
}
