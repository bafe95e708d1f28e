package io.shopevents.rabbit;

import com.rabbitmq.client.Channel;

import java.io.IOException;
import java.util.concurrent.TimeoutException;

/** Waiting on a confirm-mode channel for what it published, as the operations off the hot path do. */
public final class Confirms {

    private Confirms() {
    }

    /** Returns once the broker confirmed all the channel published; an IOException (naming what) if not in time. */
    public static void await(Channel channel, long timeoutMs, String what) throws IOException {
        try {
            channel.waitForConfirmsOrDie(timeoutMs);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for the broker's confirm of " + what, e);
        } catch (TimeoutException e) {
            throw new IOException("the broker did not confirm " + what + " within " + timeoutMs + " ms", e);
        }
    }
}
