package io.shopevents.support;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Leaves the broker as the tests found it: at the end of each test JVM, deletes the queues only
 * tests make (subscriptions named test-*, and the short retry delays of application-test.yaml),
 * the archive stream and the operational events' queue the tests filled, and retry queues left holding only events of those
 * subscriptions. The application's own topology stays: the service would declare it anyway.
 */
public class TestQueuesCleanup implements LauncherSessionListener {

    static final String TEST_QUEUES = "shop\\.events\\.(test-.*|retry\\.(100ms|200ms|400ms)|archive|operational)";

    @Override
    public void launcherSessionClosed(LauncherSession session) {
        try {
            Broker.queuesMatching(TEST_QUEUES).forEach(Broker::deleteQueue);
            // the service declares its retry queues again when it starts
            Broker.retryQueuesHoldingOnlyTheUndeliverable().forEach(Broker::deleteQueue);
        } catch (RuntimeException e) {
            // no rabbitmqctl here (or no broker): nothing to clean
        }
    }
}
