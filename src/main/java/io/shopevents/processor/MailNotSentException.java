package io.shopevents.processor;

/**
 * The SMTP server could not be reached, timed out, or answered "try again later" (4xx): transient,
 * so the subscription retries it after a delay.
 */
public class MailNotSentException extends RuntimeException {

    public MailNotSentException(String message, Throwable cause) {
        super(message, cause);
    }
}
