#!/usr/bin/env python3
"""An SMTP server that accepts every mail and throws it away: the benchmark's mail server.
Python 3.11's smtpd module (removed in 3.12; there, run Mailpit on the port instead).
TCP_NODELAY on every connection: without it, each SMTP reply waits on delayed ACKs (~40 ms)."""
import asyncore
import smtpd
import socket
import sys
import warnings

warnings.simplefilter("ignore", DeprecationWarning)


class Sink(smtpd.SMTPServer):
    def handle_accepted(self, conn, addr):
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().handle_accepted(conn, addr)

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        return None


host, port = sys.argv[1].split(":")
Sink((host, int(port)), None)
asyncore.loop()
