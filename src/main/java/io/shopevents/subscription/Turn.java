package io.shopevents.subscription;

import org.apache.camel.Exchange;

import java.time.Duration;

/**
 * A delivery's turn in its subscription's pace (its rate limit's slot), or the wait it must spend
 * elsewhere. The turn travels with the event's exchange, so that a step that calls out (a signed
 * webhook) takes it right before its call ({@link #beforeCall}): time the steps took since the
 * slot (a first call warming up) never brings two calls closer than the pace.
 */
public final class Turn {

    static final Turn NOW = new Turn(null, 0);
    /** The exchange property a turn travels in. */
    static final String PROPERTY = "shopTurn";

    private final Pace pace;
    /** When its slot begins (System.nanoTime()); whether a call took it. */
    long due;
    boolean taken;
    private Duration elsewhere;

    Turn(Pace pace, long due) {
        this.pace = pace;
        this.due = due;
    }

    static Turn elsewhere(Duration wait) {
        Turn turn = new Turn(null, 0);
        turn.elsewhere = wait;
        return turn;
    }

    /** Null when it is the delivery's turn; else how long it must wait elsewhere. */
    Duration elsewhere() {
        return elsewhere;
    }

    /** Right before a step calls out for the event: waits for its slot again if it is late, or took it already. */
    public static void beforeCall(Exchange exchange) {
        Turn turn = exchange.getProperty(PROPERTY, Turn.class);
        if (turn != null && turn.pace != null) {
            turn.pace.beforeCall(turn);
        }
    }
}
