package io.shopevents.routetests;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/** The application's latest log lines (messages only), for the route tests' log expectations. */
final class LogLines extends AppenderBase<ILoggingEvent> {

    private static final int KEPT = 10_000;
    private final Deque<String> lines = new ArrayDeque<>();

    /** Starts keeping the lines that reach the root logger. */
    static LogLines attach() {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        LogLines appender = new LogLines();
        appender.setContext(context);
        appender.setName("route-tests");
        appender.start();
        context.getLogger(Logger.ROOT_LOGGER_NAME).addAppender(appender);
        return appender;
    }

    @Override
    protected synchronized void append(ILoggingEvent event) {
        if (lines.size() == KEPT) {
            lines.removeFirst();
        }
        lines.addLast(event.getFormattedMessage());
    }

    synchronized List<String> containing(String text) {
        return lines.stream().filter(line -> line.contains(text)).toList();
    }
}
