package io.shopevents.processor;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Puts text a user chose (a user name) into a mail so that a mail client shows it as the literal
 * text it is, and nothing else:
 * <ul>
 * <li>direction controls (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C), which would
 * reorder what is around them, are shown as their code point, [U+202E];</li>
 * <li>a subject that holds "=?" (which would start an RFC 2047 encoded word, decoded by mail
 * clients) is sent encoded as a whole, so what is decoded is the literal text.</li>
 * </ul>
 * HTML is escaped by the HTML template itself (Mustache).
 */
final class MailText {

    /** Encoded words may be 75 characters; 45 bytes of text make 60 of base64 plus 12 around them. */
    private static final int BYTES_PER_WORD = 45;

    private MailText() {
    }

    static String literal(String text) {
        StringBuilder shown = new StringBuilder(text.length());
        text.codePoints().forEach(c -> {
            if (isDirectionControl(c)) {
                shown.append(String.format("[U+%04X]", c));
            } else {
                shown.appendCodePoint(c);
            }
        });
        return shown.toString();
    }

    /** The subject as it goes into the Subject header: as it is, or encoded whole if it could be read as encoded words. */
    static String subject(String text) {
        if (!text.contains("=?")) {
            return text; // Jakarta Mail encodes non-ASCII text itself
        }
        StringBuilder encoded = new StringBuilder();
        int start = 0;
        while (start < text.length()) {
            int end = start;
            int bytes = 0;
            while (end < text.length()) {
                int c = text.codePointAt(end);
                int size = new String(Character.toChars(c)).getBytes(StandardCharsets.UTF_8).length;
                if (bytes + size > BYTES_PER_WORD) {
                    break;
                }
                bytes += size;
                end += Character.charCount(c);
            }
            if (!encoded.isEmpty()) {
                encoded.append(' '); // white space between encoded words is dropped when decoding
            }
            encoded.append("=?UTF-8?B?")
                    .append(Base64.getEncoder().encodeToString(text.substring(start, end).getBytes(StandardCharsets.UTF_8)))
                    .append("?=");
            start = end;
        }
        return encoded.toString();
    }

    private static boolean isDirectionControl(int c) {
        return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) || c == 0x200E || c == 0x200F || c == 0x061C;
    }
}
