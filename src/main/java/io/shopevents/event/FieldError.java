package io.shopevents.event;

/** One bad field of an event's data; {@code field} is empty when the whole document is wrong. */
public record FieldError(String field, String message) {
}
