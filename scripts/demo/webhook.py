#!/usr/bin/env python3
"""A webhook receiver on loopback standing in for PagerDuty or Opsgenie: prints each Alertmanager
notification (status, alert names, summaries) as one line. Usage: webhook.py PORT [ADDRESS]
(ADDRESS defaults to 127.0.0.1; the compose stack's container listens on 0.0.0.0)."""
import json
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        try:
            msg = json.loads(body)
            alerts = ", ".join(
                f'{a["labels"].get("alertname")}[{a["status"]}] {a.get("annotations", {}).get("summary", "")}'
                for a in msg.get("alerts", []))
            print(f'webhook: {msg.get("status")}: {alerts}', flush=True)
        except (ValueError, KeyError) as err:
            print(f"webhook: unreadable notification ({err}): {body[:200]!r}", flush=True)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


HTTPServer((sys.argv[2] if len(sys.argv) > 2 else "127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
