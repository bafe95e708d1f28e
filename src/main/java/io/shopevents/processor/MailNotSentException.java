package io.shopevents.processor;

/** The SMTP server did not take a mail: transient, so the dispatch route retries it. */
public class MailNotSentException extends RuntimeException {

    public MailNotSentException(String message, Throwable cause) {
        super(message, cause);
    }
}
