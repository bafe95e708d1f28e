package io.shopevents.operations;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.shopevents.api.BadRequestException;
import io.shopevents.api.NotFoundException;
import io.shopevents.api.PathParameters;
import io.shopevents.event.InvalidEventException;
import io.shopevents.event.JsonDocuments;
import io.shopevents.event.TextRules;
import io.shopevents.subscription.Pauses;
import io.shopevents.subscription.Subscription;
import io.shopevents.subscription.SubscriptionsView;
import io.swagger.v3.oas.annotations.media.Schema;
import org.apache.camel.Body;
import org.apache.camel.Header;
import org.springframework.stereotype.Component;

/**
 * POST /api/subscriptions/{name}/pause and .../resume: an operator stops a subscription taking
 * events (they wait in its queue), on every instance, and starts it again. Both answer the
 * subscription as GET /api/subscriptions/{name} shows it; doing either twice changes nothing more
 * (a pause of a paused subscription keeps the first pause's reason).
 */
@Component("subscriptionCommands")
public class SubscriptionCommands {

    @Schema(description = "Why the subscription is paused (optional), shown by GET /api/subscriptions and in shop.subscription.paused.")
    public record PauseRequest(@Schema(maxLength = 500, example = "the partner's maintenance window, until 14:00 UTC") String reason) {
    }

    private static final int REASON = 500;

    private final Pauses pauses;
    private final SubscriptionsView view;
    private final PathParameters pathParameters;
    private final ObjectMapper mapper;

    public SubscriptionCommands(Pauses pauses, SubscriptionsView view, PathParameters pathParameters, ObjectMapper mapper) {
        this.pauses = pauses;
        this.view = view;
        this.pathParameters = pathParameters;
        this.mapper = mapper;
    }

    /** GET /api/subscriptions/{name}: the subscription as the list shows it. */
    public SubscriptionsView.SubscriptionInfo view(@Header("name") String rawName) {
        String name = running(rawName);
        return view.one(name).orElseThrow(() -> gone(name));
    }

    public SubscriptionsView.SubscriptionInfo pause(@Header("name") String rawName, @Body byte[] body) {
        String name = running(rawName);
        pauses.pause(name, reason(body));
        return view.one(name).orElseThrow(() -> gone(name));
    }

    public SubscriptionsView.SubscriptionInfo resume(@Header("name") String rawName) {
        String name = running(rawName);
        pauses.resume(name);
        return view.one(name).orElseThrow(() -> gone(name));
    }

    private String running(String rawName) {
        String name = pathParameters.decode(rawName);
        if (name == null || !Subscription.NAME.matcher(name).matches()) {
            throw new BadRequestException("a subscription's name is lower case letters, digits and '-'");
        }
        if (view.one(name).isEmpty()) {
            throw gone(name);
        }
        return name;
    }

    private static NotFoundException gone(String name) {
        return new NotFoundException("no subscription " + name + " runs here (GET /api/subscriptions lists them)");
    }

    private String reason(byte[] body) {
        if (body == null || body.length == 0) {
            return null;
        }
        JsonNode json;
        try {
            json = JsonDocuments.read(mapper, body, "the body");
        } catch (InvalidEventException e) {
            throw new BadRequestException(e.getMessage());
        }
        if (!json.isObject() || json.size() > 1 || (json.size() == 1 && !json.has("reason"))) {
            throw new BadRequestException("the body is optional; if given, {\"reason\":\"<why, at most 500 characters>\"}");
        }
        JsonNode reason = json.path("reason");
        if (reason.isMissingNode() || reason.isNull()) {
            return null;
        }
        if (!reason.isTextual() || reason.asText().codePointCount(0, reason.asText().length()) > REASON
                || TextRules.hasControlCharacter(reason.asText())) {
            throw new BadRequestException("reason must be a text of at most 500 characters, without control characters");
        }
        return reason.asText().strip();
    }
}
