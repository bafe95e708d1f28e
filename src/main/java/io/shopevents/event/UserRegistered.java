package io.shopevents.event;

import io.swagger.v3.oas.annotations.media.Schema;

/** Data of a {@code user_registered} event. */
@Schema(description = "A user has registered: they get one welcome mail.")
public record UserRegistered(
        @Schema(requiredMode = Schema.RequiredMode.REQUIRED, minLength = 1, maxLength = 128, example = "u-1001",
                description = "The shop's id of the user. A whole number is taken too and kept as its text;"
                        + " no control characters, no / or \\.")
        String userId,
        @Schema(requiredMode = Schema.RequiredMode.REQUIRED, minLength = 1, maxLength = 128, example = "Ann",
                description = "The name the welcome mail greets the user by; no control characters.")
        String username,
        @Schema(requiredMode = Schema.RequiredMode.REQUIRED, format = "email", maxLength = 254, example = "ann@example.com",
                description = "Exactly one mailbox, local@domain: ASCII local part, a domain with a dot (it may be"
                        + " internationalised: the mail goes to its A-label). No lists, comments, quotes or brackets.")
        String email) {
}
