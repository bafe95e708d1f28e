package io.shopevents.processor;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.time.Duration;
import java.util.Properties;

/**
 * Jakarta Mail settings camel-mail's own options do not cover (additionalJavaMailProperties):
 * <ul>
 * <li>a write timeout, for a server that has stopped reading: with it, every step of a send is
 * bounded by shop.mail.timeout;</li>
 * <li>the end of the data watched ({@link HandOverSmtpTransport}): the server's reply to it may
 * take shop.mail.data-timeout, and a send whose reply never comes is in doubt, not retried.</li>
 * </ul>
 */
@Configuration
public class MailSettings {

    /** The session property holding shop.mail.data-timeout in ms, for {@link HandOverSmtpTransport}. */
    static final String DATA_TIMEOUT_PROPERTY = "shop.mail.data-timeout";

    @Bean
    Properties mailWriteTimeout(@Value("${shop.mail.timeout}") long timeout,
                                @Value("${shop.mail.data-timeout}") Duration dataTimeout) {
        Properties properties = new Properties();
        for (String protocol : new String[] {"smtp", "smtps"}) {
            properties.setProperty("mail." + protocol + ".writetimeout", String.valueOf(timeout));
            properties.put("mail." + protocol + ".socketFactory", new TrackedSockets());
        }
        properties.setProperty("mail.smtp.class", HandOverSmtpTransport.class.getName());
        properties.setProperty("mail.smtps.class", HandOverSmtpTransport.Ssl.class.getName());
        properties.setProperty(DATA_TIMEOUT_PROPERTY, String.valueOf(dataTimeout.toMillis()));
        return properties;
    }
}
