"""An HTTP server on 127.0.0.1 that records every request it gets: tests use it to prove
that something fetches nothing."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class RecordingHandler(BaseHTTPRequestHandler):
    """Answers every GET with a small style sheet; ``hits`` lists the paths asked for."""

    hits: list[str] = []

    def do_GET(self):
        RecordingHandler.hits.append(self.path)
        body = b"body { color: red }"
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@contextmanager
def recording_server() -> Iterator[str]:
    """The server's base URL while it runs (its hits cleared when it starts)."""
    RecordingHandler.hits.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), RecordingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
