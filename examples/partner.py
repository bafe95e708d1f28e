#!/usr/bin/env python3
"""A partner to try webhook subscriptions with (README, "Webhooks to partners"): answers each POST
204 and prints it, one line a call. Python 3, nothing to install.

    python3 examples/partner.py 9090          # answers 204
    python3 examples/partner.py 9090 down     # answers 503 "down for maintenance", as a partner that is down
    python3 examples/partner.py 9090 busy     # answers 429 "slow down" with Retry-After: 10
"""
import json
import sys
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 9090
MODE = sys.argv[2] if len(sys.argv) > 2 else "up"


class Partner(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            event = json.loads(body)
            what = f"{event.get('type')} {event.get('id')} subject={event.get('subject')}"
        except ValueError:
            what = f"{len(body)} bytes"
        status = {"down": 503, "busy": 429}.get(MODE, 204)
        answer = {503: b"down for maintenance", 429: b"slow down"}.get(status, b"")
        now = datetime.now(timezone.utc).strftime("%H:%M:%S.%f")[:-3]
        print(f"{now} {self.path} webhook-id={self.headers.get('webhook-id')} {what} -> {status}", flush=True)
        self.send_response(status)
        if status == 429:
            self.send_header("Retry-After", "10")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


print(f"partner on 127.0.0.1:{PORT}, answering {({'down': 503, 'busy': 429}).get(MODE, 204)}", flush=True)
ThreadingHTTPServer(("127.0.0.1", PORT), Partner).serve_forever()
