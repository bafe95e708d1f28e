package io.shopevents.processor;

import io.shopevents.event.PermanentFailureException;

/**
 * The mail server was given the whole mail and did not say whether it took it (no reply to the end
 * of the data within shop.mail.data-timeout, or the connection broke then). It may have been
 * delivered: sending it again blindly could send it twice, so the event is dead-lettered for a
 * person to check the mailbox (or the server's log) before replaying it.
 */
public class MailInDoubtException extends PermanentFailureException {

    public MailInDoubtException(String message, Throwable cause) {
        super(message, cause);
    }
}
