package io.shopevents.rabbit;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.ShutdownSignalException;
import org.springframework.amqp.rabbit.connection.ChannelProxy;
import org.springframework.amqp.rabbit.connection.ConnectionFactory;
import org.springframework.beans.factory.DisposableBean;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A few channels in confirm mode, shared by every call that publishes: each publish gets a future
 * that the broker's confirm completes (true: taken; false: refused, or the channel was lost before
 * its confirm came). No thread waits for a confirm, and the broker confirms many messages of a
 * channel at once (multiple acks) instead of one per message and channel. A lost channel fails
 * what it had pending and is opened again on the next publish.
 */
final class ConfirmingChannels implements DisposableBean {

    private final ConnectionFactory connections;
    private final Slot[] slots;
    private final AtomicInteger next = new AtomicInteger();

    ConfirmingChannels(ConnectionFactory connections, int channels) {
        this.connections = connections;
        this.slots = new Slot[Math.max(1, channels)];
        for (int i = 0; i < slots.length; i++) {
            slots[i] = new Slot();
        }
    }

    /** One message to publish. */
    record Outgoing(String exchange, String routingKey, AMQP.BasicProperties properties, byte[] body) {
    }

    /**
     * Publishes the messages in order on one channel; a future per message, completed by its
     * confirm. Throws if they could not be sent at all (the broker unreachable): nothing was sent.
     */
    List<CompletableFuture<Boolean>> publish(List<Outgoing> messages) throws IOException {
        Slot slot = slots[Math.floorMod(next.getAndIncrement(), slots.length)];
        return slot.publish(messages);
    }

    @Override
    public void destroy() {
        for (Slot slot : slots) {
            slot.close();
        }
    }

    /** One channel, (re)opened when needed, and the confirms it still owes by sequence number. */
    private final class Slot implements ConfirmListener {
        private final ConcurrentNavigableMap<Long, CompletableFuture<Boolean>> pending = new ConcurrentSkipListMap<>();
        /** Spring's handle on the channel: kept, so its cache never hands the channel to anyone else. */
        private Channel proxy;
        private Channel channel;

        synchronized List<CompletableFuture<Boolean>> publish(List<Outgoing> messages) throws IOException {
            Channel open = open();
            CompletableFuture<Boolean>[] futures = newFutures(messages.size());
            for (int i = 0; i < messages.size(); i++) {
                Outgoing message = messages.get(i);
                long sequence = open.getNextPublishSeqNo();
                futures[i] = new CompletableFuture<>();
                pending.put(sequence, futures[i]);
                try {
                    open.basicPublish(message.exchange(), message.routingKey(), message.properties(), message.body());
                } catch (IOException | RuntimeException e) {
                    pending.remove(sequence);
                    if (i == 0) {
                        throw e instanceof IOException io ? io : new IOException(e);
                    }
                    // what went before may have been taken: it gets its confirm, or fails with the channel
                    for (int j = i; j < messages.size(); j++) {
                        futures[j] = CompletableFuture.completedFuture(false);
                    }
                    break;
                }
            }
            return List.of(futures);
        }

        private Channel open() throws IOException {
            if (channel == null || !channel.isOpen()) {
                fail(pending); // a channel that closed owes nothing any more
                proxy = connections.createConnection().createChannel(false);
                channel = proxy instanceof ChannelProxy p ? p.getTargetChannel() : proxy;
                channel.confirmSelect();
                channel.addConfirmListener(this);
                Channel opened = channel;
                opened.addShutdownListener(cause -> lost(opened, cause));
            }
            return channel;
        }

        private synchronized void lost(Channel closed, ShutdownSignalException cause) {
            if (closed == channel) {
                fail(pending);
            }
        }

        @Override
        public void handleAck(long sequence, boolean multiple) {
            settle(sequence, multiple, true);
        }

        @Override
        public void handleNack(long sequence, boolean multiple) {
            settle(sequence, multiple, false);
        }

        private void settle(long sequence, boolean multiple, boolean taken) {
            if (multiple) {
                Map<Long, CompletableFuture<Boolean>> settled = pending.headMap(sequence, true);
                settled.values().forEach(f -> f.complete(taken));
                settled.clear();
            } else {
                CompletableFuture<Boolean> future = pending.remove(sequence);
                if (future != null) {
                    future.complete(taken);
                }
            }
        }

        private void fail(ConcurrentNavigableMap<Long, CompletableFuture<Boolean>> owed) {
            owed.values().forEach(f -> f.complete(false));
            owed.clear();
        }

        synchronized void close() {
            fail(pending);
            if (proxy != null && proxy.isOpen()) {
                try {
                    proxy.close();
                } catch (IOException | java.util.concurrent.TimeoutException | RuntimeException e) {
                    // closing anyway
                }
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static CompletableFuture<Boolean>[] newFutures(int n) {
        return new CompletableFuture[n];
    }
}
