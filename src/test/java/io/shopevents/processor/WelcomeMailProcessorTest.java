package io.shopevents.processor;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.shopevents.event.CloudEvent;
import io.shopevents.event.CloudEvents;
import io.shopevents.event.InvalidEventException;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The mail processor's own guard against header injection, behind the schema check: an event
 * that somehow got past it with CR/LF in the address or name is refused before any mail is made.
 */
class WelcomeMailProcessorTest {

    private final ObjectMapper mapper = new ObjectMapper();
    // nothing past the guard may be reached: no store, no SMTP endpoint
    private final WelcomeMailProcessor processor = new WelcomeMailProcessor(
            new CloudEvents(mapper, null, null, null, null), null, null, "smtp://unused", "from@example.com");

    @Test
    void crLfInTheEmailIsRefused() {
        assertThatThrownBy(() -> processor.send(event("Ann", "ann@example.com\r\nBcc: everyone@example.com"), 0))
                .isInstanceOf(InvalidEventException.class)
                .hasMessageContaining("control characters");
    }

    @Test
    void crLfInTheUsernameIsRefused() {
        assertThatThrownBy(() -> processor.send(event("Ann\r\nSubject: hi", "ann@example.com"), 0))
                .isInstanceOf(InvalidEventException.class)
                .hasMessageContaining("control characters");
    }

    private CloudEvent event(String username, String email) {
        return new CloudEvent("1.0", "e-1", "user_registered", "/tests", null, Instant.now(), "application/json",
                mapper.createObjectNode().put("userId", "1").put("username", username).put("email", email));
    }
}
