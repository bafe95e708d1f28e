package io.shopevents.support;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

/** Faults injected into the real broker with its own CLI, as an operator would. */
public final class Broker {

    private Broker() {
    }

    /** The broker closes every client connection (consumers and publishers alike), as on a network drop. */
    public static void closeAllConnections() {
        run("rabbitmqctl", "close_all_connections", "shop-events test: simulated connection loss");
    }

    /** Stops the broker (the Erlang node stays up): its port refuses connections, as in an outage. */
    public static void stop() {
        run("rabbitmqctl", "stop_app");
    }

    /** Starts the broker again after {@link #stop()} and waits until it takes connections. */
    public static void start() {
        run("rabbitmqctl", "start_app");
        run("rabbitmqctl", "await_startup");
    }

    /** Messages in the queue, ready and unacknowledged alike: zero once every delivery is settled. */
    public static long messagesIn(String queue) {
        return messagesIn(java.util.List.of(queue));
    }

    /** Messages in all these queues together, ready and unacknowledged alike. */
    public static long messagesIn(java.util.Collection<String> queues) {
        java.util.Map<String, Long> counts = new java.util.HashMap<>();
        for (String line : run("rabbitmqctl", "list_queues", "-q", "--no-table-headers", "name", "messages").split("\n")) {
            String[] columns = line.strip().split("\\s+");
            if (columns.length == 2) {
                counts.put(columns[0], Long.parseLong(columns[1]));
            }
        }
        long total = 0;
        for (String queue : queues) {
            Long count = counts.get(queue);
            if (count == null) {
                throw new IllegalStateException("no queue " + queue);
            }
            total += count;
        }
        return total;
    }

    /** The tags of the consumers on the queue now: a consumer that was closed and came back has a new one. */
    public static java.util.Set<String> consumerTags(String queue) {
        java.util.Set<String> tags = new java.util.TreeSet<>();
        for (String line : run("rabbitmqctl", "list_consumers", "-q", "--no-table-headers", "queue_name", "consumer_tag").split("\n")) {
            String[] columns = line.strip().split("\\s+");
            if (columns.length == 2 && columns[0].equals(queue)) {
                tags.add(columns[1]);
            }
        }
        return tags;
    }

    /** The names of the queues on the broker that match the pattern. */
    public static java.util.List<String> queuesMatching(String regex) {
        return java.util.Arrays.stream(run("rabbitmqctl", "list_queues", "-q", "--no-table-headers", "name").split("\n"))
                .map(String::strip).filter(name -> name.matches(regex)).toList();
    }

    /**
     * Retry queues holding only messages waiting to be dead-lettered back to a queue that is gone (a
     * test-* subscription deleted while its events waited there): RabbitMQ's at-least-once
     * dead-lettering keeps them, counted but never delivered.
     */
    public static java.util.List<String> retryQueuesHoldingOnlyTheUndeliverable() {
        return java.util.Arrays.stream(run("rabbitmqctl", "list_queues", "-q", "--no-table-headers", "name", "messages",
                        "messages_ready", "messages_unacknowledged").split("\n"))
                .map(line -> line.strip().split("\\s+"))
                .filter(f -> f.length == 4 && f[0].startsWith("shop.events.retry.") && !f[1].equals("0")
                        && f[2].equals("0") && f[3].equals("0"))
                .map(f -> f[0]).toList();
    }

    /** Deletes the queue (and what is in it), if it is there. */
    public static void deleteQueue(String queue) {
        try {
            run("rabbitmqctl", "delete_queue", queue);
        } catch (IllegalStateException e) {
            if (!String.valueOf(e.getMessage()).contains("Queue not found")) {
                throw e;
            }
        }
    }

    private static String run(String... command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes());
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not finish in 60 s");
            }
            if (process.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + output);
            }
            return output;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + command[0] + " (it must be on the PATH)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
