package io.shopevents.event;


import java.util.List;
import java.util.stream.Collectors;

/**
 * An event that can never be processed: malformed envelope, unknown type or data breaking its schema.
 * Retrying cannot help, so the subscription dead-letters it at once (and the REST edge answers 400).
 */
public class InvalidEventException extends PermanentFailureException {

    private final List<FieldError> errors;

    public InvalidEventException(String message) {
        this(message, List.of());
    }

    public InvalidEventException(String message, List<FieldError> errors) {
        super(errors.isEmpty() ? message : message + ": " + describe(errors));
        this.errors = List.copyOf(errors);
    }

    public List<FieldError> errors() {
        return errors;
    }

    private static String describe(List<FieldError> errors) {
        return errors.stream()
                .map(e -> e.field().isEmpty() ? e.message() : e.field() + " " + e.message())
                .collect(Collectors.joining("; "));
    }
}
