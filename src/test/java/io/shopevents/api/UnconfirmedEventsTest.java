package io.shopevents.api;

import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;
import org.springframework.transaction.CannotCreateTransactionException;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.TransactionStatus;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A withdrawal when the database cannot even begin a transaction (down, or its pool exhausted):
 * the event's fate is unknown, so the call keeps its Idempotency-Key (a retry publishes the same
 * events) instead of giving it back as if nothing had been published.
 */
class UnconfirmedEventsTest {

    /** A transaction manager whose database is down: no transaction begins. */
    private static final PlatformTransactionManager DATABASE_DOWN = new PlatformTransactionManager() {
        @Override
        public TransactionStatus getTransaction(TransactionDefinition definition) {
            throw new CannotCreateTransactionException("Could not open JDBC Connection for transaction");
        }

        @Override
        public void commit(TransactionStatus status) {
            throw new IllegalStateException("no transaction began");
        }

        @Override
        public void rollback(TransactionStatus status) {
            throw new IllegalStateException("no transaction began");
        }
    };

    @Test
    void anEventThatCannotBeWithdrawnForWantOfATransactionHasAnUnknownFate() {
        UnconfirmedEvents unconfirmed = new UnconfirmedEvents(null, null, null, null, new TransactionTemplate(DATABASE_DOWN));

        UnconfirmedEvents.Fate fate = unconfirmed.fateOf("/shop", "event-1", "no confirm within 5 s",
                new DefaultExchange(new DefaultCamelContext()));

        assertThat(fate).isEqualTo(UnconfirmedEvents.Fate.UNKNOWN);
    }
}
