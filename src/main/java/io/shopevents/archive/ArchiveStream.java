package io.shopevents.archive;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import io.shopevents.rabbit.RabbitTopology;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A consumer on the archive stream from a point (a time, an offset, "first", "last"), on an
 * operation's channel, and where a range of the archive ends. A stream says where each delivery
 * is (its offset) and takes acknowledgements, never rejections.
 */
final class ArchiveStream {

    /** The archive is read to its end: after this long without a message, there is none. */
    private static final Duration END_OF_STREAM = Duration.ofSeconds(2);
    /** A consumer on a stream gets its first message at once if there is one. */
    private static final Duration FIRST_DELIVERY = Duration.ofMillis(500);
    /** Read at most this much of the last chunk to find the archive's end (a peak goes on adding). */
    private static final int LAST_CHUNK_READ = 50_000;
    static final int ACK_BATCH = 100;

    record Delivery(Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
        Map<String, Object> headers() {
            return properties.getHeaders() == null ? Map.of() : properties.getHeaders();
        }

        /** Where the event is in the archive (the broker tells each delivery from a stream). */
        Long offset() {
            return headers().get("x-stream-offset") instanceof Number n ? n.longValue() : null;
        }
    }

    private final Channel channel;
    private final LinkedBlockingQueue<Delivery> arrived = new LinkedBlockingQueue<>();
    private final String tag;

    ArchiveStream(Channel channel, Object offset) throws IOException {
        this.channel = channel;
        this.tag = channel.basicConsume(RabbitTopology.ARCHIVE, false, Map.of("x-stream-offset", offset),
                new DefaultConsumer(channel) {
                    @Override
                    public void handleDelivery(String consumerTag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
                        arrived.add(new Delivery(envelope, properties, body));
                    }
                });
    }

    /** The next event, or null once none has come for a while: the end of the archive. */
    Delivery next() throws InterruptedException {
        return next(END_OF_STREAM);
    }

    Delivery next(Duration wait) throws InterruptedException {
        return arrived.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Acknowledges what was read now and then, so the broker sends more. */
    void taken(Delivery delivery) throws IOException {
        long deliveryTag = delivery.envelope().getDeliveryTag();
        if (deliveryTag % ACK_BATCH == 0) {
            channel.basicAck(deliveryTag, true);
        }
    }

    void cancel() throws IOException {
        channel.basicCancel(tag);
    }

    /**
     * The archive's offset of the first event the broker received at this time (the end of a range,
     * exclusive), or, when none came after it, the archive's end; null for an empty archive. The
     * broker attaches at the chunk before the time, the same for the end of one range and the start
     * of the next: consecutive ranges ([a, b), [b, c)) replay every event once.
     */
    static Long offsetAt(Channel channel, Instant time) throws IOException, InterruptedException {
        ArchiveStream at = new ArchiveStream(channel, Date.from(time));
        Delivery first = at.next(FIRST_DELIVERY);
        at.cancel();
        if (first != null && first.offset() != null) {
            return first.offset();
        }
        return end(channel);
    }

    /**
     * The offset after the last event the archive holds now; null for an empty archive. "last" is
     * the start of the last chunk, which may hold thousands: it is read to its end (acknowledged, so
     * the broker sends on). Ending a little late only sends a subscription events it skips as applied.
     */
    static Long end(Channel channel) throws IOException, InterruptedException {
        ArchiveStream last = new ArchiveStream(channel, "last");
        Long end = null;
        int read = 0;
        for (Delivery d; read < LAST_CHUNK_READ && (d = last.next(FIRST_DELIVERY)) != null; read++) {
            if (d.offset() != null) {
                end = end == null ? d.offset() + 1 : Math.max(end, d.offset() + 1);
            }
            last.taken(d);
        }
        last.cancel();
        return end;
    }
}
