package io.shopevents.event;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.JsonParserDelegate;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Reads one JSON document the one way both the REST edge and the subscriptions read it: strict
 * UTF-8 (a leading byte-order mark dropped), the parser's limits (JsonLimits), one document and
 * nothing after it, and no negative zero ("-0" would become 0: a different text from what was
 * sent). Any of these is an {@link InvalidEventException} saying what is wrong.
 */
public final class JsonDocuments {

    private JsonDocuments() {
    }

    public static JsonNode read(ObjectMapper mapper, byte[] bytes, String what) {
        if (bytes == null || bytes.length == 0) {
            throw new InvalidEventException(what + " is empty");
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new InvalidEventException(what + " is not valid UTF-8");
        }
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        try (JsonParser parser = new NoNegativeZero(mapper.getFactory().createParser(text))) {
            JsonNode node = mapper.readTree(parser);
            if (node == null) {
                throw new InvalidEventException(what + " is empty");
            }
            if (parser.nextToken() != null) {
                throw new InvalidEventException(what + " holds more than one JSON document (something follows the first)");
            }
            return node;
        } catch (JsonParseException e) {
            throw new InvalidEventException(what + " is not valid JSON: " + e.getOriginalMessage());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new InvalidEventException(what + " is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new InvalidEventException(what + " cannot be read: " + e.getMessage());
        }
    }

    /**
     * Refuses -0, -0.0, -0e5 as it reads them (the sign would be lost on the way), and numbers no
     * decimal type can hold (an exponent past int range, 1E+2147483648): every reader after this
     * one may take any number as a BigDecimal.
     */
    private static final class NoNegativeZero extends JsonParserDelegate {
        NoNegativeZero(JsonParser parser) {
            super(parser);
        }

        @Override
        public JsonToken nextToken() throws IOException {
            JsonToken token = super.nextToken();
            if (token == JsonToken.VALUE_NUMBER_INT || token == JsonToken.VALUE_NUMBER_FLOAT) {
                BigDecimal value;
                try {
                    value = getDecimalValue();
                } catch (NumberFormatException | ArithmeticException e) {
                    throw new JsonParseException(this, "a number out of range (" + abbreviated(getText()) + ")");
                }
                if (value.signum() == 0 && getText().startsWith("-")) {
                    throw new JsonParseException(this, "-0 is not taken: write 0");
                }
            }
            return token;
        }

        private static String abbreviated(String text) {
            return text.length() <= 40 ? text : text.substring(0, 40) + "…";
        }
    }
}
