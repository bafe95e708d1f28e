package io.shopevents.rabbit;

import com.rabbitmq.client.Channel;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.connection.Connection;
import org.springframework.amqp.rabbit.connection.ConnectionNameStrategy;
import org.springframework.amqp.rabbit.connection.RabbitUtils;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.amqp.CachingConnectionFactoryConfigurer;
import org.springframework.boot.autoconfigure.amqp.RabbitConnectionFactoryBeanConfigurer;
import org.springframework.amqp.rabbit.connection.RabbitConnectionFactoryBean;
import org.springframework.stereotype.Component;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.concurrent.TimeoutException;

/**
 * The service's connections to the broker, each named for the management UI's Connections page
 * ({@code shop-events@<host>:<port>#consumers}, {@code #publisher}, {@code #operations}), so an
 * operator sees which instance holds which:
 * <ul>
 * <li>consumers: the subscriptions' consumers, their retries and dead letters (Spring Boot's
 * connection factory);</li>
 * <li>publisher: the events the API publishes, so acknowledgements and publishes never queue
 * behind each other on one socket; its confirms complete a future per message, so no thread waits
 * for one ({@link EventPublisher});</li>
 * <li>operations: listing and replaying dead letters, replaying the archive. Each operation gets a
 * channel of its own that is closed when it ends, never one from a cache: what it set on its channel
 * (prefetch, confirms, consumers, unacknowledged deliveries) cannot leak into another operation,
 * and an error the broker raises for it (a stream refuses a nack, say) cannot close the
 * subscriptions' connection.</li>
 * </ul>
 */
@Component
public class RabbitConnections implements SmartInitializingSingleton, DisposableBean {

    private final CachingConnectionFactory consumers;
    private final CachingConnectionFactory publisher;
    private final CachingConnectionFactory operations;
    private final String instance;

    public RabbitConnections(CachingConnectionFactory consumers, RabbitConnectionFactoryBeanConfigurer rabbitConfigurer,
                             CachingConnectionFactoryConfigurer cachingConfigurer,
                             @Value("${spring.application.name}") String application,
                             @Value("${server.port:8080}") int port) throws Exception {
        this.consumers = consumers;
        this.instance = application + "@" + hostName() + ":" + port;
        this.publisher = factory(rabbitConfigurer, cachingConfigurer, "publisher");
        // plain channels: EventPublisher puts its few in confirm mode itself and follows their confirms
        publisher.setPublisherConfirmType(CachingConnectionFactory.ConfirmType.NONE);
        this.operations = factory(rabbitConfigurer, cachingConfigurer, "operations");
    }

    private CachingConnectionFactory factory(RabbitConnectionFactoryBeanConfigurer rabbitConfigurer,
                                             CachingConnectionFactoryConfigurer cachingConfigurer, String role) throws Exception {
        RabbitConnectionFactoryBean bean = new RabbitConnectionFactoryBean();
        rabbitConfigurer.configure(bean);
        bean.afterPropertiesSet();
        CachingConnectionFactory factory = new CachingConnectionFactory(bean.getObject());
        cachingConfigurer.configure(factory);
        factory.setConnectionNameStrategy(named(role));
        factory.setBeanName("shop-events-" + role);
        return factory;
    }

    @Override
    public void afterSingletonsInstantiated() {
        consumers.setConnectionNameStrategy(named("consumers"));
    }

    /** The connection the API's events are published on. */
    public CachingConnectionFactory publisher() {
        return publisher;
    }

    /** A channel for one operation, on the operations connection; close it with {@link #close(Channel)}. */
    public Channel operationChannel() {
        Connection connection = operations.createConnection();
        return connection.createChannel(false);
    }

    /** Closes an operation's channel for good (not back into a cache), whatever state it is in. */
    public static void close(Channel channel) {
        RabbitUtils.setPhysicalCloseRequired(channel, true);
        try {
            if (channel.isOpen()) {
                channel.close();
            }
        } catch (IOException | TimeoutException | RuntimeException e) {
            // the channel or its connection is gone already: nothing left to close
        }
    }

    @Override
    public void destroy() {
        publisher.destroy();
        operations.destroy();
    }

    private ConnectionNameStrategy named(String role) {
        String name = instance + "#" + role;
        return factory -> name;
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }
}
