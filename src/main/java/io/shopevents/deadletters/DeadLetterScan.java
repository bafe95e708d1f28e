package io.shopevents.deadletters;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import io.shopevents.api.ConflictException;
import io.shopevents.deadletters.DeadLetters.DeadLetter;
import io.shopevents.rabbit.RabbitConnections;
import io.shopevents.rabbit.RabbitTopology;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Reads shop.events.dead without changing it. A quorum queue cannot be read without taking its
 * messages, and puts a message given back at its end. So an operation takes every dead letter (up to
 * shop.dead-letters.scan-limit) with an exclusive consumer, on a channel of its own, does its work,
 * and gives back all it did not acknowledge, in the order they came: with every message taken and
 * given back in order, the queue's order is what it was. Only one such operation runs at a time
 * (an exclusive consumer: across instances too).
 */
@Component
class DeadLetterScan {

    /** Dead letters taken at once are held in memory; beyond this a listing says it is not complete. */
    private static final long MAX_SCAN_BYTES = 32L * 1024 * 1024;

    /** A letter as taken: its delivery, and what it says. */
    record Held(long tag, AMQP.BasicProperties properties, Envelope envelope, byte[] body, int position,
                DeadLetter letter, Instant failedAt) {
    }

    /**
     * The dead letters taken: each letter once, its copies (the same letter id, dead-lettered again
     * when a consumer lost its connection before it could acknowledge) under {@code copies}; a letter
     * acknowledged (replayed) leaves {@code unacknowledged}.
     */
    record Scan(Channel channel, List<Held> letters, Map<String, List<Held>> copies, long count, boolean complete,
                Set<Long> unacknowledged) {
    }

    private final RabbitConnections connections;
    private final DeadLetterReader reader;
    private final int scanLimit;
    private final Duration timeLimit;
    private final ReentrantLock oneAtATime = new ReentrantLock();

    DeadLetterScan(RabbitConnections connections, DeadLetterReader reader,
                   @Value("${shop.dead-letters.scan-limit}") int scanLimit,
                   @Value("${shop.dead-letters.time-limit}") Duration timeLimit) {
        this.connections = connections;
        this.reader = reader;
        this.scanLimit = Math.min(Math.max(scanLimit, 1), 65_535);
        this.timeLimit = timeLimit;
    }

    @FunctionalInterface
    interface Work<T> {
        T on(Scan scan) throws IOException;
    }

    /**
     * Takes every dead letter (up to the scan limit) with an exclusive consumer, sorted oldest first,
     * does the work, and gives back all it did not acknowledge, in the order they came.
     */
    <T> T withEveryLetter(Work<T> work) {
        boolean locked;
        try {
            locked = oneAtATime.tryLock(timeLimit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConflictException("interrupted while waiting for another dead-letter operation");
        }
        if (!locked) {
            throw new ConflictException("another listing or replay of the dead letters is running; try again");
        }
        try {
            Channel channel = connections.operationChannel();
            try {
                return scan(channel, work);
            } catch (IOException e) {
                throw new org.springframework.amqp.AmqpIOException(e);
            } finally {
                RabbitConnections.close(channel);
            }
        } finally {
            oneAtATime.unlock();
        }
    }

    private <T> T scan(Channel channel, Work<T> work) throws IOException {
        long count = channel.messageCount(RabbitTopology.DEAD_LETTER_QUEUE);
        int want = (int) Math.min(count, scanLimit);
        if (want == 0) {
            return work.on(new Scan(channel, List.of(), Map.of(), count, true, new LinkedHashSet<>()));
        }
        LinkedBlockingQueue<Held> arrived = new LinkedBlockingQueue<>();
        channel.basicQos(want);
        String tag;
        try {
            tag = channel.basicConsume(RabbitTopology.DEAD_LETTER_QUEUE, false, "shop-events:dead-letters:" + UUID.randomUUID(),
                    false, true, null, new DefaultConsumer(channel) {
                        @Override
                        public void handleDelivery(String consumerTag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
                            arrived.add(new Held(envelope.getDeliveryTag(), properties, envelope, body, 0, null, null));
                        }
                    });
        } catch (IOException e) {
            throw new ConflictException("another listing or replay of the dead letters is running (on this or another"
                    + " instance); try again");
        }
        List<Held> taken = new ArrayList<>();
        Set<Long> unacknowledged = new LinkedHashSet<>();
        boolean complete = want == count;
        try {
            long bytes = 0;
            Instant quiet = Instant.now().plusSeconds(2);
            while (taken.size() < want && Instant.now().isBefore(quiet)) {
                Held held = arrived.poll(100, TimeUnit.MILLISECONDS);
                if (held != null) {
                    unacknowledged.add(held.tag());
                    taken.add(reader.described(held, taken.size()));
                    bytes += held.body().length;
                    quiet = Instant.now().plusSeconds(2);
                    if (bytes > MAX_SCAN_BYTES) {
                        complete = false;
                        break;
                    }
                }
            }
            List<Held> sorted = new ArrayList<>(taken);
            sorted.sort(Comparator.comparing(Held::failedAt, Comparator.nullsLast(Comparator.naturalOrder()))
                    .thenComparingInt(Held::position));
            Map<String, List<Held>> copies = new java.util.LinkedHashMap<>();
            sorted.forEach(held -> copies.computeIfAbsent(held.letter().id(), id -> new ArrayList<>()).add(held));
            List<Held> letters = copies.values().stream().map(same -> same.get(0)).toList();
            return work.on(new Scan(channel, letters, copies, count, complete && taken.size() == count, unacknowledged));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while taking the dead letters", e);
        } finally {
            channel.basicCancel(tag);
            arrived.forEach(late -> unacknowledged.add(late.tag()));
            // give back, in the order they came, every letter not replayed
            if (!unacknowledged.isEmpty() && channel.isOpen()) {
                channel.basicNack(unacknowledged.stream().mapToLong(Long::longValue).max().orElseThrow(), true, true);
                awaitGivenBack(channel, unacknowledged.size());
            }
        }
    }

    /**
     * A nack is asynchronous: the queue counts the letters again a moment later. The next listing
     * (on any channel) starts from the queue's count, so this one ends only once they are counted.
     */
    private static void awaitGivenBack(Channel channel, int givenBack) throws IOException {
        Instant deadline = Instant.now().plusSeconds(2);
        while (channel.messageCount(RabbitTopology.DEAD_LETTER_QUEUE) < givenBack && Instant.now().isBefore(deadline)) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

}
