package io.shopevents.processor;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.util.Properties;

/**
 * What camel-mail's connectionTimeout does not cover: writing to an SMTP server that has stopped
 * reading. With it, every step of a send is bounded by shop.mail.timeout.
 */
@Configuration
public class MailSettings {

    @Bean
    Properties mailWriteTimeout(@Value("${shop.mail.timeout}") long timeout) {
        Properties properties = new Properties();
        properties.setProperty("mail.smtp.writetimeout", String.valueOf(timeout));
        properties.setProperty("mail.smtps.writetimeout", String.valueOf(timeout));
        return properties;
    }
}
