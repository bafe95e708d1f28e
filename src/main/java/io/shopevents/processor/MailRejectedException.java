package io.shopevents.processor;

import io.shopevents.event.PermanentFailureException;
import org.eclipse.angus.mail.smtp.SMTPAddressFailedException;
import org.eclipse.angus.mail.smtp.SMTPSendFailedException;
import org.eclipse.angus.mail.smtp.SMTPSenderFailedException;

import jakarta.mail.MessagingException;

/**
 * The SMTP server refused the mail for good (a 5xx reply, such as 550 for an address it will not
 * take): permanent, so the event is dead-lettered at once instead of being retried.
 */
public class MailRejectedException extends PermanentFailureException {

    public MailRejectedException(String message, Throwable cause) {
        super(message, cause);
    }

    /** Whether the failure holds a 5xx reply of the SMTP server (to the sender, a recipient or the data). */
    static boolean isPermanentReply(Throwable failure) {
        return permanentReply(failure) != null;
    }

    /** The server's 5xx reply, as it said it ("550 5.1.1 mailbox unavailable"), or null. */
    static String permanentReply(Throwable failure) {
        for (Throwable t = failure; t != null; t = next(t)) {
            int code = t instanceof SMTPAddressFailedException a ? a.getReturnCode()
                    : t instanceof SMTPSenderFailedException s ? s.getReturnCode()
                    : t instanceof SMTPSendFailedException d ? d.getReturnCode()
                    : 0;
            if (code >= 500 && code < 600) {
                return t.getMessage() == null ? String.valueOf(code) : t.getMessage().strip();
            }
        }
        return null;
    }

    private static Throwable next(Throwable t) {
        if (t instanceof MessagingException m && m.getNextException() != null && m.getNextException() != t) {
            return m.getNextException();
        }
        return t.getCause() == t ? null : t.getCause();
    }
}
