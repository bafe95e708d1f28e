package io.shopevents.event;

/**
 * What text this service takes: no control characters of any kind, so that nothing a caller sends
 * can break a log line, a mail header or a terminal. Refused: C0 and C1 controls (NUL, CR, LF,
 * U+0080-U+009F), DEL, the line and paragraph separators U+2028/U+2029, and lone surrogates
 * (half a character, which no UTF-8 can carry).
 */
public final class TextRules {

    private TextRules() {
    }

    public static boolean hasControlCharacter(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                    i++;
                    continue;
                }
                return true;
            }
            if (Character.isLowSurrogate(c) || Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
                return true;
            }
        }
        return false;
    }
}
