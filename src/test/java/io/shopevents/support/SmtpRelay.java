package io.shopevents.support;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * An SMTP relay in front of a real SMTP server (GreenMail), with the faults of real mail servers:
 * <ul>
 * <li>it refuses some recipients for good, as a mail server does for an address it does not have:
 * "RCPT TO:&lt;address&gt;" is answered "550 5.1.1 mailbox unavailable" for the addresses the
 * predicate picks;</li>
 * <li>it can be slow to confirm a mail: the server has taken it whole, and its reply to the end of
 * the data ("250 OK") is held back for {@link #confirmAfter};</li>
 * <li>it can be down (a connection is closed at once) or hung (a connection is taken and never
 * answered): {@link #mode}.</li>
 * </ul>
 * Everything else is passed through unchanged. It also records every RCPT TO line it sees: the
 * envelope recipients.
 */
public final class SmtpRelay implements AutoCloseable {

    private final ServerSocket server;
    private final int target;
    private final Predicate<String> refused;
    private final List<String> recipients = new CopyOnWriteArrayList<>();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private volatile Duration confirmDelay = Duration.ZERO;
    private volatile Mode mode = Mode.UP;

    /** How the relay takes new connections. */
    public enum Mode { UP, DOWN, HUNG }

    public SmtpRelay(int target, Predicate<String> refused) {
        this.target = target;
        this.refused = refused;
        try {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Thread acceptor = new Thread(this::accept, "smtp-relay");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public int port() {
        return server.getLocalPort();
    }

    /** From now on, new connections are served (UP), closed at once (DOWN) or taken and never answered (HUNG). */
    public void mode(Mode mode) {
        this.mode = mode;
    }

    /** From now on, the server's reply to the end of each mail's data reaches the client this much later. */
    public void confirmAfter(Duration delay) {
        this.confirmDelay = delay;
    }

    /** The address of every RCPT TO command a client sent, in order. */
    public List<String> recipients() {
        return List.copyOf(recipients);
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                sockets.add(client);
                if (mode == Mode.DOWN) {
                    close(client);
                    continue;
                }
                if (mode == Mode.HUNG) {
                    continue; // held, never answered
                }
                Socket upstream = new Socket(InetAddress.getLoopbackAddress(), target);
                sockets.add(upstream);
                AtomicLong holdUntil = new AtomicLong();
                pump(upstream, client, holdUntil); // the server's replies, as they are (but maybe late)
                Thread commands = new Thread(() -> commands(client, upstream, holdUntil), "smtp-relay-commands");
                commands.setDaemon(true);
                commands.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    /** The client's lines: refused recipients are answered here; all else goes to the server. */
    private void commands(Socket client, Socket upstream, AtomicLong holdUntil) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.ISO_8859_1))) {
            OutputStream toServer = upstream.getOutputStream();
            OutputStream toClient = client.getOutputStream();
            boolean data = false;
            String line;
            while ((line = in.readLine()) != null) {
                String upper = line.toUpperCase(Locale.ROOT);
                if (!data && upper.startsWith("RCPT TO:")) {
                    String address = line.substring("RCPT TO:".length()).strip();
                    recipients.add(address);
                    if (refused.test(address)) {
                        toClient.write("550 5.1.1 mailbox unavailable\r\n".getBytes(StandardCharsets.ISO_8859_1));
                        toClient.flush();
                        continue;
                    }
                }
                if (!data && upper.equals("DATA")) {
                    data = true;
                } else if (data && line.equals(".")) {
                    data = false;
                    // the reply to this end of the data is held back
                    holdUntil.set(System.nanoTime() + confirmDelay.toNanos());
                }
                toServer.write((line + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                toServer.flush();
            }
        } catch (IOException e) {
            // the client hung up
        } finally {
            close(client);
            close(upstream);
        }
    }

    private static void pump(Socket from, Socket to, AtomicLong holdUntil) {
        Thread thread = new Thread(() -> {
            byte[] buffer = new byte[8192];
            try {
                for (int n; (n = from.getInputStream().read(buffer)) >= 0; ) {
                    long wait = holdUntil.getAndSet(0) - System.nanoTime();
                    if (wait > 0) {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    }
                    to.getOutputStream().write(buffer, 0, n);
                    to.getOutputStream().flush();
                }
            } catch (IOException e) {
                // closed
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                close(to);
            }
        }, "smtp-relay-replies");
        thread.setDaemon(true);
        thread.start();
    }

    private static void close(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        sockets.forEach(SmtpRelay::close);
    }
}
