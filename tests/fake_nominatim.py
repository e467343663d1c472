"""A stand-in for Nominatim's ``/search`` endpoint on 127.0.0.1, for offline tests.

It answers from a small table of known queries and records every request (path, query
parameters, headers, arrival time) so a test can check what the client sent.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Request:
    """One request the fake server received."""

    path: str
    params: dict[str, str]
    headers: dict[str, str]
    time: float


@dataclass
class FakeNominatim:
    """The running server: its address and what it has seen.

    Attributes
    ----------
    domain
        ``host:port`` to put in ``settings.nominatim_domain``.
    places
        Query text (lower-case) -> the JSON object to answer with.
    requests
        Requests received, in order.
    """

    domain: str
    places: Mapping[str, dict[str, object]]
    requests: list[Request] = field(default_factory=list)


def _handler(state: FakeNominatim) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            params = {k: v[-1] for k, v in parse_qs(url.query).items()}
            state.requests.append(Request(url.path, params, dict(self.headers.items()),
                                          time.monotonic()))
            if url.path.rstrip("/") != "/search":
                self.send_error(404)
                return
            hit = state.places.get(params.get("q", "").lower())
            body = json.dumps([hit] if hit else []).encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
            pass

    return Handler


@contextmanager
def serve(places: Mapping[str, dict[str, object]]) -> Iterator[FakeNominatim]:
    """Run the fake server in a thread for the duration of a ``with`` block.

    Parameters
    ----------
    places
        Query text (lower-case) -> Nominatim-like result (``lat``, ``lon`` as strings,
        ``display_name``, ``osm_type``, ``osm_id``...).

    Yields
    ------
    FakeNominatim
    """
    state = FakeNominatim(domain="", places=places)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.domain = f"127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
