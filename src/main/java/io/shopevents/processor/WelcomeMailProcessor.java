package io.shopevents.processor;

import com.samskivert.mustache.Mustache;
import com.samskivert.mustache.Template;
import io.shopevents.event.CloudEvent;
import io.shopevents.event.CloudEvents;
import io.shopevents.event.EmailAddresses;
import io.shopevents.event.TextRules;
import io.shopevents.event.InvalidEventException;
import io.shopevents.event.UserRegistered;
import io.shopevents.store.Handovers;
import org.apache.camel.CamelExecutionException;
import org.apache.camel.Header;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.component.mail.MailConstants;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.core.io.ClassPathResource;
import org.springframework.stereotype.Component;

import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;

/**
 * user_registered: sends one welcome mail over SMTP (camel-mail), an HTML part with a plain-text
 * alternative, both from templates under {@code mail/}. It runs inside the subscription's
 * transaction that records the event as applied, so a failed send is retried and a sent one is
 * not sent again (routes/welcome-mail.camel.yaml). A server that cannot be reached or answers
 * 4xx is a transient failure (retried after a delay); a 5xx answer is permanent (dead-lettered).
 * A mail whose outcome is unknown (the server never confirmed it, or the service stopped while the
 * server had it: {@link Handovers}) is dead-lettered as in doubt, never sent again blindly.
 */
@Component("welcomeMail")
public class WelcomeMailProcessor {

    static {
        // Jakarta Mail finds its StreamProvider with a ServiceLoader scan of the whole classpath for
        // every MIME part it makes: milliseconds per mail inside the packaged jar, and most of the
        // consumer's time (bench/README.md). Naming the implementation skips the scan.
        System.getProperties().putIfAbsent("jakarta.mail.util.StreamProvider", "org.eclipse.angus.mail.util.MailStreamProvider");
    }
    private static final Logger log = LoggerFactory.getLogger(WelcomeMailProcessor.class);
    /** The subscription's exchange header: how often the event was replayed from the dead letters. */
    static final String REPLAYS_HEADER = "replays";

    /** The hand-over records' name for these sends. */
    static final String PURPOSE = "welcome-mail";

    private final CloudEvents cloudEvents;
    private final Handovers handovers;
    private final ProducerTemplate producer;
    private final String endpoint;
    private final String from;
    private final Template subject;
    private final Template text;
    private final Template html;

    public WelcomeMailProcessor(CloudEvents cloudEvents, Handovers handovers, ProducerTemplate producer,
                                @Value("${shop.mail.endpoint}") String endpoint, @Value("${mail.from}") String from) {
        this.cloudEvents = cloudEvents;
        this.handovers = handovers;
        this.producer = producer;
        this.endpoint = endpoint;
        this.from = from;
        // the subject and plain text are not HTML: no HTML escaping there; the HTML part escapes every value
        Mustache.Compiler plain = Mustache.compiler().escapeHTML(false);
        this.subject = compile(plain, "mail/welcome-subject.mustache");
        this.text = compile(plain, "mail/welcome.txt.mustache");
        this.html = compile(Mustache.compiler().escapeHTML(true), "mail/welcome.html.mustache");
    }

    /** Sends the mail of this event; replays: how often an operator replayed it (each replay is a send of its own). */
    public void send(CloudEvent event, @Header(REPLAYS_HEADER) Integer replays) {
        UserRegistered user = cloudEvents.data(event, UserRegistered.class);
        // second line behind the edge's and the subscription's checks: no control characters in
        // headers, and one mailbox, which is all the envelope may ever hold
        if (TextRules.hasControlCharacter(user.email()) || TextRules.hasControlCharacter(user.username())) {
            throw new InvalidEventException("user_registered data has control characters in email or username");
        }
        String problem = EmailAddresses.problem(user.email());
        if (problem != null) {
            throw new InvalidEventException("user_registered data: email " + problem);
        }
        String recipient = EmailAddresses.forSmtp(user.email());
        Map<String, Object> model = Map.of("username", MailText.literal(user.username()), "email", recipient,
                "userId", user.userId());
        int replay = replays == null ? 0 : replays;
        // an earlier attempt's record still here: the service stopped while the server had that mail
        handovers.begin(PURPOSE, event.source(), event.id(), replay).ifPresent(started -> {
            throw new MailInDoubtException("the welcome mail for user " + user.userId() + " was being handed to the mail"
                    + " server at " + started + " when the service stopped, and may or may not have been delivered. Check"
                    + " the mailbox (Message-ID " + messageId(event) + ") before replaying this dead letter", null);
        });
        try {
            producer.sendBodyAndHeaders(endpoint, html.execute(model), Map.of(
                    // one validated mailbox: the one recipient camel-mail puts on the envelope (RCPT TO)
                    "To", recipient,
                    "From", from,
                    "Subject", MailText.subject(subject.execute(model).strip()),
                    // the same on every attempt of this event: a mail system that drops repeats can
                    "Message-ID", messageId(event),
                    MailConstants.MAIL_ALTERNATIVE_BODY, text.execute(model)));
        } catch (CamelExecutionException e) {
            // name the SMTP failure itself in logs and dead-letter headers, not Camel's wrapper
            Throwable cause = e.getCause() == null ? e : e.getCause();
            MailInDoubtException inDoubt = inDoubt(cause);
            if (inDoubt != null) {
                throw new MailInDoubtException("the welcome mail for user " + user.userId() + " may or may not have"
                        + " been delivered: " + cause.getMessage() + ". Check the mailbox (Message-ID " + messageId(event)
                        + ") before replaying this dead letter", inDoubt);
            }
            // not in doubt: surely not delivered
            handovers.notSent(PURPOSE, event.source(), event.id(), replay);
            String refusal = MailRejectedException.permanentReply(cause);
            if (refusal != null) {
                throw new MailRejectedException("the mail server refused the welcome mail for user " + user.userId()
                        + ": " + refusal, cause);
            }
            throw new MailNotSentException("welcome mail for user " + user.userId() + " not sent: " + cause.getMessage(), cause);
        }
        handovers.done(PURPOSE, event.source(), event.id(), replay);
        log.info("welcome mail for user {} sent (event {})", user.userId(), event.id());
    }

    /** One Message-ID per event (source and id), the same on every attempt. */
    static String messageId(CloudEvent event) {
        UUID digest = UUID.nameUUIDFromBytes((event.source() + "\n" + event.id()).getBytes(StandardCharsets.UTF_8));
        return "<welcome." + digest + "@shop-events>";
    }

    private static MailInDoubtException inDoubt(Throwable failure) {
        for (Throwable t = failure; t != null; t = next(t)) {
            if (t instanceof MailInDoubtException doubt) {
                return doubt;
            }
        }
        return null;
    }

    private static Throwable next(Throwable t) {
        if (t instanceof jakarta.mail.MessagingException m && m.getNextException() != null && m.getNextException() != t) {
            return m.getNextException();
        }
        return t.getCause() == t ? null : t.getCause();
    }

    private static Template compile(Mustache.Compiler compiler, String location) {
        try (Reader reader = new InputStreamReader(new ClassPathResource(location).getInputStream(), StandardCharsets.UTF_8)) {
            return compiler.compile(reader);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read mail template " + location, e);
        }
    }
}
