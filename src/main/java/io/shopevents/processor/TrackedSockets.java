package io.shopevents.processor;

import javax.net.SocketFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * The SMTP connection's socket factory (mail.smtp.socketFactory): plain sockets, each remembered
 * for the thread that opened it, so that {@link HandOverSmtpTransport} can give the reply to the
 * end of the data a longer wait than the other steps. A send opens its connection and sends on
 * the same thread (camel-mail connects, sends, closes).
 */
public class TrackedSockets extends SocketFactory {

    private static final ThreadLocal<Socket> CURRENT = new ThreadLocal<>();

    /** The socket this thread opened last; null if none. */
    static Socket current() {
        return CURRENT.get();
    }

    @Override
    public Socket createSocket() {
        Socket socket = new Socket();
        CURRENT.set(socket);
        return socket;
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
        Socket socket = createSocket();
        socket.connect(new InetSocketAddress(host, port));
        return socket;
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
        Socket socket = createSocket();
        socket.bind(new InetSocketAddress(localHost, localPort));
        socket.connect(new InetSocketAddress(host, port));
        return socket;
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
        Socket socket = createSocket();
        socket.connect(new InetSocketAddress(host, port));
        return socket;
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) throws IOException {
        Socket socket = createSocket();
        socket.bind(new InetSocketAddress(localAddress, localPort));
        socket.connect(new InetSocketAddress(address, port));
        return socket;
    }
}
