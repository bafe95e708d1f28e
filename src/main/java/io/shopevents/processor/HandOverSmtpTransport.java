package io.shopevents.processor;

import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.URLName;
import org.eclipse.angus.mail.smtp.SMTPSSLTransport;
import org.eclipse.angus.mail.smtp.SMTPSendFailedException;
import org.eclipse.angus.mail.smtp.SMTPTransport;

import java.io.IOException;
import java.net.Socket;

/**
 * SMTP (and SMTPS) as Angus Mail does it, with the end of the data watched: the mail server's reply
 * to the final "." is waited for up to shop.mail.data-timeout (RFC 5321 gives a server ten minutes
 * there, far more than any other step), and if it does not come, or the connection breaks before
 * it, the hand-over's outcome is unknown: {@link MailInDoubtException}, never a blind retry.
 * Chosen by mail.smtp.class / mail.smtps.class ({@link MailSettings}).
 */
public class HandOverSmtpTransport extends SMTPTransport {

    public HandOverSmtpTransport(Session session, URLName urlname) {
        super(session, urlname, "smtp", false);
    }

    @Override
    protected void finishData() throws IOException, MessagingException {
        watched(session, () -> super.finishData());
    }

    /** The same over TLS from the first byte (smtps). */
    public static class Ssl extends SMTPSSLTransport {

        public Ssl(Session session, URLName urlname) {
            super(session, urlname);
        }

        @Override
        protected void finishData() throws IOException, MessagingException {
            watched(session, () -> super.finishData());
        }
    }

    interface Step {
        void run() throws IOException, MessagingException;
    }

    /** Runs the end of the data with the longer wait, and tells an unknown outcome from a refusal. */
    static void watched(Session session, Step finishData) throws IOException, MessagingException {
        Socket socket = TrackedSockets.current();
        long dataTimeout = Long.parseLong(session.getProperty(MailSettings.DATA_TIMEOUT_PROPERTY));
        int before = socket == null ? 0 : socket.getSoTimeout();
        if (socket != null) {
            socket.setSoTimeout((int) Math.min(dataTimeout, Integer.MAX_VALUE));
        }
        try {
            finishData.run();
        } catch (SMTPSendFailedException e) {
            if (e.getReturnCode() > 0) {
                throw e; // the server answered: it refused the mail (4xx, 5xx), a definite outcome
            }
            throw inDoubt(socket, "the connection closed before the server's reply", e);
        } catch (IOException e) {
            throw inDoubt(socket, e.toString(), e);
        } catch (MessagingException e) {
            if (e.getNextException() instanceof IOException io) {
                throw inDoubt(socket, io.toString(), e);
            }
            throw e;
        } finally {
            if (socket != null && !socket.isClosed()) {
                socket.setSoTimeout(before);
            }
        }
    }

    /** The outcome is unknown; the connection is of no more use (a QUIT on it would only wait). */
    private static MessagingException inDoubt(Socket socket, String what, Exception cause) {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException e) {
                // closed already
            }
        }
        return new MessagingException("the mail server was given the whole mail and did not confirm it (" + what
                + ")", new MailInDoubtException("hand-over in doubt", cause));
    }
}
