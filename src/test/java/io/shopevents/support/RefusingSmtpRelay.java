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
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * An SMTP relay in front of a real SMTP server (GreenMail) that refuses some recipients for good,
 * as a mail server does for an address it does not have: "RCPT TO:<address>" is answered
 * "550 5.1.1 mailbox unavailable" for the addresses the predicate picks, and everything else is
 * passed through unchanged. It also records every RCPT TO line it sees: the envelope recipients.
 */
public final class RefusingSmtpRelay implements AutoCloseable {

    private final ServerSocket server;
    private final int target;
    private final Predicate<String> refused;
    private final List<String> recipients = new CopyOnWriteArrayList<>();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    public RefusingSmtpRelay(int target, Predicate<String> refused) {
        this.target = target;
        this.refused = refused;
        try {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Thread acceptor = new Thread(this::accept, "refusing-smtp-relay");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public int port() {
        return server.getLocalPort();
    }

    /** The address of every RCPT TO command a client sent, in order. */
    public List<String> recipients() {
        return List.copyOf(recipients);
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Socket upstream = new Socket(InetAddress.getLoopbackAddress(), target);
                sockets.add(client);
                sockets.add(upstream);
                pump(upstream, client); // the server's replies, as they are
                Thread commands = new Thread(() -> commands(client, upstream), "refusing-smtp-relay-commands");
                commands.setDaemon(true);
                commands.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    /** The client's lines: refused recipients are answered here; all else goes to the server. */
    private void commands(Socket client, Socket upstream) {
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

    private static void pump(Socket from, Socket to) {
        Thread thread = new Thread(() -> {
            try {
                from.getInputStream().transferTo(to.getOutputStream());
            } catch (IOException e) {
                // closed
            } finally {
                close(to);
            }
        }, "refusing-smtp-relay-replies");
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
        sockets.forEach(RefusingSmtpRelay::close);
    }
}
