package io.shopevents.deadletters;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import io.shopevents.rabbit.Confirms;
import io.shopevents.deadletters.DeadLetters.NotReplayed;
import io.shopevents.rabbit.FailureHeaders;
import io.shopevents.rabbit.RabbitTopology;
import io.shopevents.subscription.Subscription;
import org.springframework.amqp.rabbit.core.RabbitAdmin;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Sends dead letters back, each straight to the queue of the subscription that failed it (never
 * through shop.events, which would hand it to every subscription again), and lets go of a letter
 * (and of its copies) only once the broker has confirmed what was sent in its place.
 */
@Component
class DeadLetterSender {

    private static final int CONFIRM_BATCH = 200;

    private final RabbitAdmin admin;
    private final long confirmTimeout;

    DeadLetterSender(RabbitAdmin admin, @Value("${shop.publish.confirm-timeout}") long confirmTimeout) {
        this.admin = admin;
        this.confirmTimeout = confirmTimeout;
    }

    /** Publishes each letter to its subscription, confirmed in batches, and removes those confirmed. */
    int send(DeadLetterScan.Scan scan, List<DeadLetterScan.Held> chosen, Instant deadline, List<NotReplayed> notReplayed) throws IOException {
        Channel channel = scan.channel();
        Map<String, Boolean> queues = new HashMap<>();
        channel.confirmSelect();
        int replayed = 0;
        List<DeadLetterScan.Held> unconfirmed = new ArrayList<>();
        for (DeadLetterScan.Held held : chosen) {
            if (Instant.now().isAfter(deadline)) {
                notReplayed.add(new NotReplayed(held.letter().id(), "the replay's time limit was reached; call again"));
                continue;
            }
            String subscription = held.letter().subscription();
            if (subscription != null && !queues.computeIfAbsent(subscription, s -> admin.getQueueInfo(Subscription.queueOf(s)) != null)) {
                notReplayed.add(new NotReplayed(held.letter().id(), "subscription " + subscription + " has no queue "
                        + Subscription.queueOf(subscription) + " (its route file was removed?)"));
                continue;
            }
            Map<String, Object> headers = new HashMap<>(held.properties().getHeaders() == null ? Map.of() : held.properties().getHeaders());
            FailureHeaders.OF_A_FAILURE.forEach(headers::remove);
            headers.put(FailureHeaders.REPLAY_COUNT, held.letter().replays() + 1);
            AMQP.BasicProperties properties = held.properties().builder().headers(headers).timestamp(new Date()).build();
            if (subscription != null) {
                channel.basicPublish("", Subscription.queueOf(subscription), properties, held.body());
            } else {
                channel.basicPublish(RabbitTopology.EXCHANGE, held.letter().routingKey(), properties, held.body());
            }
            unconfirmed.add(held);
            if (unconfirmed.size() == CONFIRM_BATCH) {
                replayed += confirmAndRemove(scan, unconfirmed);
            }
        }
        return replayed + confirmAndRemove(scan, unconfirmed);
    }

    private int confirmAndRemove(DeadLetterScan.Scan scan, List<DeadLetterScan.Held> unconfirmed) throws IOException {
        Channel channel = scan.channel();
        if (unconfirmed.isEmpty()) {
            return 0;
        }
        Confirms.await(channel, confirmTimeout, "the replayed messages");
        // only now is it safe to let go of the dead letters
        for (DeadLetterScan.Held held : unconfirmed) {
            // and every copy of the letter (a consumer that lost its connection after dead-lettering one)
            for (DeadLetterScan.Held copy : scan.copies().getOrDefault(held.letter().id(), List.of(held))) {
                channel.basicAck(copy.tag(), false);
                scan.unacknowledged().remove(copy.tag());
            }
        }
        int count = unconfirmed.size();
        unconfirmed.clear();
        return count;
    }

}
