package io.shopevents.support;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * A 3-node RabbitMQ cluster beside the broker on 5672 (src/test/cluster/rabbit-cluster.sh): nodes
 * rabbit3@localhost, rabbit4@localhost, rabbit5@localhost on AMQP ports 5673, 5674, 5675.
 */
public final class RabbitCluster implements AutoCloseable {

    public static final List<Integer> NODES = List.of(3, 4, 5);
    private static final Path SCRIPT = Path.of("src/test/cluster/rabbit-cluster.sh");

    private RabbitCluster() {
    }

    /** Starts the three nodes and clusters them; stopped on close (and when the JVM ends). */
    public static RabbitCluster start() {
        run("start");
        RabbitCluster cluster = new RabbitCluster();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> run("stop")));
        return cluster;
    }

    /** SPRING_RABBITMQ_ADDRESSES for the three nodes. */
    public String addresses() {
        return "127.0.0.1:5673,127.0.0.1:5674,127.0.0.1:5675";
    }

    public void stopNode(int node) {
        run("stop-node", String.valueOf(node));
    }

    public void startNode(int node) {
        run("start-node", String.valueOf(node));
    }

    /** The node (3, 4 or 5) where the queue's leader is. */
    public int leaderOf(String queue) {
        for (String line : rabbitmqctl("list_queues", "-q", "--no-table-headers", "name", "leader").split("\n")) {
            String[] columns = line.strip().split("\\s+");
            if (columns.length == 2 && columns[0].equals(queue)) {
                return Integer.parseInt(columns[1].replaceAll("rabbit(\\d)@.*", "$1"));
            }
        }
        throw new IllegalStateException("no queue " + queue + " on the cluster");
    }

    /** Messages in each queue of the cluster, ready and unacknowledged alike. */
    public Map<String, Long> messages() {
        Map<String, Long> counts = new TreeMap<>();
        for (String line : rabbitmqctl("list_queues", "-q", "--no-table-headers", "name", "messages").split("\n")) {
            String[] columns = line.strip().split("\\s+");
            if (columns.length == 2) {
                counts.put(columns[0], Long.parseLong(columns[1]));
            }
        }
        return counts;
    }

    /** Empties the queue (what a test has checked and taken into account). */
    public void purge(String queue) {
        rabbitmqctl("purge_queue", queue);
    }

    @Override
    public void close() {
        run("stop");
    }

    private static String rabbitmqctl(String... arguments) {
        for (int node : NODES) {
            try {
                String[] command = new String[arguments.length + 3];
                command[0] = "rabbitmqctl";
                command[1] = "-n";
                command[2] = "rabbit" + node + "@localhost";
                System.arraycopy(arguments, 0, command, 3, arguments.length);
                return exec(command);
            } catch (IllegalStateException e) {
                // that node is stopped: ask another
            }
        }
        throw new IllegalStateException("no node of the cluster answers");
    }

    private static String run(String... arguments) {
        String[] command = new String[arguments.length + 1];
        command[0] = SCRIPT.toAbsolutePath().toString();
        System.arraycopy(arguments, 0, command, 1, arguments.length);
        return exec(command);
    }

    private static String exec(String... command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes());
            if (!process.waitFor(180, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not finish in 180 s");
            }
            if (process.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + output);
            }
            return output;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + command[0], e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
