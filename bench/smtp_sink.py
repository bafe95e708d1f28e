#!/usr/bin/env python3
"""An SMTP server that accepts every mail and throws it away: the benchmark's mail server.
Python 3.11's smtpd module (removed in 3.12; there, run Mailpit on the port instead).
TCP_NODELAY on every connection: without it, each SMTP reply waits on delayed ACKs (~40 ms).

kill -USR1 <pid>: hang, as a mail provider in trouble does: connections are accepted and never
answered (not even the greeting). kill -USR2 <pid>: answer again."""
import asyncore
import signal
import smtpd
import socket
import sys
import warnings

warnings.simplefilter("ignore", DeprecationWarning)
hung = []
hanging = False


class Sink(smtpd.SMTPServer):
    def handle_accepted(self, conn, addr):
        if hanging:
            hung.append(conn)  # keep it open, say nothing
            return
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().handle_accepted(conn, addr)

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        return None


def hang(signum, frame):
    global hanging
    hanging = True


def answer(signum, frame):
    global hanging
    hanging = False
    while hung:
        hung.pop().close()


signal.signal(signal.SIGUSR1, hang)
signal.signal(signal.SIGUSR2, answer)
host, port = sys.argv[1].split(":")
Sink((host, int(port)), None)
asyncore.loop(timeout=0.5)
