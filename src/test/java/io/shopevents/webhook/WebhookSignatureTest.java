package io.shopevents.webhook;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WebhookSignatureTest {

    @Test
    void signsTheStandardWebhooksExample() {
        // the example of the Standard Webhooks libraries' own tests: secret, id, timestamp, payload, signature
        WebhookSignature signature = WebhookSignature.of("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");

        String signed = signature.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                "{\"test\": 2432232314}".getBytes(StandardCharsets.UTF_8));

        assertThat(signed).isEqualTo("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    @Test
    void aSecretThatIsNotWhsecIsRefusedWithoutBeingRepeated() {
        assertThatThrownBy(() -> WebhookSignature.of("hunter2-hunter2-hunter2-hunter2"))
                .hasMessageContaining("whsec_").hasMessageNotContaining("hunter2");
        assertThatThrownBy(() -> WebhookSignature.of("whsec_not base64!"))
                .hasMessageContaining("not base64").hasMessageNotContaining("not base64!");
        assertThatThrownBy(() -> WebhookSignature.of("whsec_c2hvcnQ="))
                .hasMessageContaining("holds 5");
    }
}
