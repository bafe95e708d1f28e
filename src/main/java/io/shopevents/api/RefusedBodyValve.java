package io.shopevents.api;

import jakarta.servlet.ServletException;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ValveBase;
import org.apache.coyote.ActionCode;

import java.io.IOException;

/**
 * A request refused before its body was read (401 without a key, 415, 413, 503 at capacity) is
 * answered and its connection closed, rather than Tomcat reading the rest of the body on a request
 * thread before it lets go: a client sending a byte a second held that thread for as long as it
 * liked, and 40 of them without a key stopped the API. A body that has arrived already is read as
 * usual, and the connection kept. A call being served asynchronously ({@link ApiCall}) reads its
 * body without a thread and is left alone.
 */
public class RefusedBodyValve extends ValveBase {

    public RefusedBodyValve() {
        super(true);
    }

    @Override
    public void invoke(Request request, Response response) throws IOException, ServletException {
        getNext().invoke(request, response);
        if (request.isAsync() || response.getStatus() < 400) {
            return;
        }
        org.apache.coyote.Request coyote = request.getCoyoteRequest();
        boolean chunked = request.getHeader("Transfer-Encoding") != null;
        long remaining = coyote.getContentLengthLong() - coyote.getBytesRead();
        if (!chunked && remaining <= 0) {
            return;
        }
        coyote.action(ActionCode.AVAILABLE, Boolean.TRUE);
        if (!chunked && remaining <= coyote.getAvailable()) {
            return; // here already: reading it costs nothing, and the connection stays open
        }
        coyote.action(ActionCode.DISABLE_SWALLOW_INPUT, null);
    }
}
