package io.shopevents.api;

import io.shopevents.event.InvalidEventException;
import org.apache.camel.Exchange;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;

/**
 * Turns the exception a REST route caught into a problem+json body. The status is chosen in
 * the route's onException (YAML); this bean only words the answer.
 */
@Component("problemResponses")
public class ProblemResponses {

    public Problem problem(Exchange exchange) {
        int status = exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, 500, Integer.class);
        Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        String title = HttpStatus.valueOf(status).getReasonPhrase();
        if (cause instanceof InvalidEventException invalid && !invalid.errors().isEmpty()) {
            return new Problem("about:blank", title, status, "the request has invalid fields", invalid.errors());
        }
        if (cause instanceof InvalidEventException || cause instanceof NotFoundException
                || cause instanceof BadRequestException || cause instanceof ConflictException
                || cause instanceof UnprocessableException || cause instanceof PayloadTooLargeException
                || cause instanceof NotAcceptedException || cause instanceof io.shopevents.event.UnknownEventTypeException
                || cause instanceof ForbiddenException || cause instanceof UnsupportedMediaTypeException) {
            return Problem.of(status, title, cause.getMessage());
        }
        if (status == HttpStatus.SERVICE_UNAVAILABLE.value()) {
            return Problem.of(status, title, "the message broker did not confirm the event, so it was not accepted;"
                    + " retry later (" + rootCause(cause) + ")");
        }
        // anything else is our fault: say so without leaking internals; the log has the stack trace
        return Problem.of(status, title, "unexpected error; see the service log");
    }

    private static String rootCause(Throwable cause) {
        if (cause == null) {
            return "no cause";
        }
        Throwable root = cause;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage());
    }
}
