package io.shopevents.store;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.stereotype.Component;

import java.sql.SQLException;

/**
 * H2 keeps an instance's state in a file of its own, so it serves one instance. Two ways a setup
 * breaks that, each refused at start with what to do instead:
 * <ul>
 * <li>a second instance on the same H2 file: H2 finds the file locked ({@link FileInUse});</li>
 * <li>an instance on H2 whose subscriptions' queues another instance already consumes: the two
 * would each apply part of the events, each in its own file ({@link #check}).</li>
 * </ul>
 */
@Component
public class OneInstancePerH2 {

    static final String WHAT_TO_DO = "Run one instance per H2 database, or give every instance the same PostgreSQL database"
            + " (SPRING_DATASOURCE_URL=jdbc:postgresql://<host>:5432/<database>; README, Running more than one instance).";

    private final boolean h2File;

    public OneInstancePerH2(@Value("${spring.datasource.url:}") String url) {
        this.h2File = url.startsWith("jdbc:h2:file:");
    }

    /** Refuses to consume a queue that another instance already consumes, when this one's state is in an H2 file. */
    public void check(String queue, int otherConsumers) {
        if (h2File && otherConsumers > 0) {
            throw new SharedQueueOnH2(queue, otherConsumers);
        }
    }

    /** Another instance consumes the queue this one, on H2, was about to. */
    public static final class SharedQueueOnH2 extends IllegalStateException {
        SharedQueueOnH2(String queue, int consumers) {
            super("Another shop-events instance consumes " + queue + " (" + consumers + " consumer(s)), and this one keeps its"
                    + " state in an H2 file of its own. " + WHAT_TO_DO);
        }
    }

    /** Turns H2's "Database may be already in use" into what it means here. */
    public static final class FileInUse extends AbstractFailureAnalyzer<SQLException> {
        @Override
        protected FailureAnalysis analyze(Throwable rootFailure, SQLException cause) {
            if (cause.getErrorCode() != 90020) {
                return null;
            }
            return new FailureAnalysis("The H2 database file is in use by another process, most likely another"
                    + " shop-events instance: " + cause.getMessage().lines().findFirst().orElse(""), WHAT_TO_DO, cause);
        }
    }

    /** Turns {@link SharedQueueOnH2}, however deep Camel wraps it, into the same kind of answer. */
    public static final class SharedQueue extends AbstractFailureAnalyzer<SharedQueueOnH2> {
        @Override
        protected FailureAnalysis analyze(Throwable rootFailure, SharedQueueOnH2 cause) {
            return new FailureAnalysis(cause.getMessage().substring(0, cause.getMessage().indexOf(". ") + 1), WHAT_TO_DO, cause);
        }
    }
}
