package io.shopevents.event;

import io.swagger.v3.oas.annotations.media.Schema;

/** The answer to an accepted event: the broker has confirmed it. */
@Schema(description = "The broker has confirmed the event: it will be applied.")
public record EventAccepted(
        @Schema(requiredMode = Schema.RequiredMode.REQUIRED, format = "uuid", example = "443082ab-0069-4609-866c-c1e037e5c33c",
                description = "The CloudEvents id of the event.")
        String eventId,
        @Schema(requiredMode = Schema.RequiredMode.REQUIRED, example = "order_placed", description = "The event's type.")
        String type) {
}
