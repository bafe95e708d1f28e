package io.shopevents.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A mail server that hangs: it accepts every connection and then never says a word (no greeting,
 * no reply), as a mail provider in trouble does. Clients wait until their read timeout.
 */
public final class HungSmtpServer implements AutoCloseable {

    private final ServerSocket server;
    private final List<Socket> held = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    public HungSmtpServer(int port) {
        try {
            server = new ServerSocket(port, 50, InetAddress.getLoopbackAddress());
            server.setReuseAddress(true);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        acceptor = new Thread(() -> {
            while (!server.isClosed()) {
                try {
                    held.add(server.accept()); // and never answer
                } catch (IOException e) {
                    return;
                }
            }
        }, "hung-smtp");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Connections taken so far (each a client that waited for nothing). */
    public int connections() {
        return held.size();
    }

    @Override
    public void close() {
        try {
            server.close();
            for (Socket socket : held) {
                socket.close();
            }
            acceptor.join(5000);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
