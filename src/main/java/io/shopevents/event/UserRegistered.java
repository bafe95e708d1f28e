package io.shopevents.event;

/** Data of a {@code user_registered} event. */
public record UserRegistered(String userId, String username, String email) {
}
