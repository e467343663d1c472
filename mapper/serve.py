"""A local live preview of one dataset: rebuild on every save, reload the open page.

``mapper serve DATASET`` builds the dataset's page into a temporary folder, serves it on
``127.0.0.1`` only, watches the dataset's files (:mod:`watchfiles`, inotify and its kin, no
polling loop of our own) and rebuilds on every change. The page it serves is the built page
with a small script added *when it is served* (the built file itself is unchanged and still
requests nothing when opened from disk): the script listens to a server-sent event stream
and reloads the page after each good build. While the dataset has errors, the script shows
them over the last good map, each as ``file:line: field: message`` text, until they are fixed.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from mapper.errors import DatasetError, MapperError

#: Paths of the preview's own endpoints (not files of the map).
STATUS_PATH = "/__mapper/status"
EVENTS_PATH = "/__mapper/events"

#: Seconds between keep-alive comments on an idle event stream.
KEEPALIVE = 10.0

# The script added to the page at serve time. It holds no data from the dataset: the
# errors arrive as JSON from the status endpoint and are shown with textContent.
_RELOAD_JS = """
(function () {
  "use strict";
  var shown = %(good)d;
  var box = null;
  function render(errors) {
    if (!errors.length) {
      if (box) { box.remove(); box = null; }
      return;
    }
    if (!box) {
      box = document.createElement("div");
      box.id = "mapper-serve-errors";
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;left:0;right:0;top:0;z-index:100000;" +
        "max-height:45vh;overflow:auto;background:#fff3f3;color:#5a0000;" +
        "border-bottom:3px solid #b00020;font:13px/1.4 monospace;padding:8px 12px;" +
        "white-space:pre-wrap";
      document.body.appendChild(box);
    }
    var head = shown > 0 ? "The dataset has errors; the last good map is shown below. Fix:"
                         : "The dataset has errors; no map yet. Fix:";
    box.textContent = head + "\\n" + errors.join("\\n");
  }
  function check() {
    fetch("%(status)s", {cache: "no-store"}).then(function (r) { return r.json(); })
      .then(function (s) {
        if (s.good !== shown) { location.reload(); return; }
        render(s.errors);
      }).catch(function () {});
  }
  var events = new EventSource("%(events)s");
  events.onmessage = check;
  check();
})();
"""

_ERROR_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>mapper serve: errors</title></head>
<body style="font-family:sans-serif"><h1>mapper serve</h1>
<p>No good build yet. The errors are listed above this line as soon as they are read.</p>
</body></html>
"""


@dataclass
class BuildState:
    """What the preview serves: the last good page and the errors of the last build.

    Attributes
    ----------
    build
        How many builds were attempted.
    good
        How many builds succeeded (0: none yet); the page reloads when it changes.
    errors
        The problems of the last build, as ``file:line: field: message`` lines (empty when
        it succeeded).
    """

    build: int = 0
    good: int = 0
    errors: list[str] = field(default_factory=list)


class Preview:
    """Build a dataset's page into a temporary folder and keep it current.

    Parameters
    ----------
    dataset
        The dataset folder.
    tiles
        An xyzservices provider name for online tiles, as ``mapper build --tiles``.
    out
        The folder to build into (default: a new temporary folder, removed by
        :meth:`close`). Never ``site/``: the preview is not the published site.

    Examples
    --------
    >>> p = Preview("geodata/aleppo-2024")  # doctest: +SKIP
    >>> p.rebuild(); p.state.good  # doctest: +SKIP
    1
    """

    def __init__(self, dataset: Path | str, *, tiles: str | None = None,
                 out: Path | str | None = None) -> None:
        self.dataset = Path(dataset)
        self.tiles = tiles
        self._own_dir = out is None
        self.out = Path(out) if out is not None else Path(tempfile.mkdtemp(prefix="mapper-serve-"))
        self.state = BuildState()
        self._cond = threading.Condition()

    @property
    def page(self) -> Path:
        """The last good page (may not exist yet)."""
        return self.out / "index.html"

    def rebuild(self) -> BuildState:
        """Load, validate and render the dataset; keep the last good page on failure.

        Returns
        -------
        BuildState
            The new state (also in :attr:`state`); waiters on :meth:`wait` are woken.
        """
        from mapper import model
        from mapper._files import write_atomic
        from mapper.dataset import load_dataset
        from mapper.render import render_html

        errors: list[str] = []
        try:
            ds = load_dataset(self.dataset)
            html = render_html(ds, tiles=self.tiles, territory=model.build(ds))
            write_atomic(self.page, html)
        except DatasetError as exc:
            errors = [str(p) for p in exc.problems if p.severity == "error"] or [str(exc)]
        except (MapperError, ValueError, OSError) as exc:
            errors = [f"{self.dataset}: {exc}"]
        with self._cond:
            self.state = BuildState(build=self.state.build + 1,
                                    good=self.state.good + (not errors), errors=errors)
            self._cond.notify_all()
            return self.state

    def wait(self, seen: int, timeout: float) -> BuildState:
        """Wait until a build newer than ``seen`` is done, or ``timeout`` seconds pass.

        Parameters
        ----------
        seen
            The build number the caller already knows.
        timeout
            Seconds to wait at most.

        Returns
        -------
        BuildState
        """
        with self._cond:
            self._cond.wait_for(lambda: self.state.build != seen, timeout=timeout)
            return self.state

    def wake(self) -> None:
        """Wake every waiter (on shutdown)."""
        with self._cond:
            self._cond.notify_all()

    def served_page(self) -> bytes:
        """The page as served: the last good page (or a short error page) plus the script.

        Returns
        -------
        bytes
            UTF-8 HTML.
        """
        with self._cond:
            good = self.state.good
        html = self.page.read_text(encoding="utf-8") if good else _ERROR_PAGE
        return inject_reload(html, good=good).encode("utf-8")

    def status(self) -> bytes:
        """The JSON status the page's script reads: ``{"build", "good", "errors"}``."""
        with self._cond:
            s = self.state
            return json.dumps({"build": s.build, "good": s.good, "errors": s.errors}).encode()

    def close(self) -> None:
        """Remove the temporary build folder (when this preview made it)."""
        if self._own_dir:
            shutil.rmtree(self.out, ignore_errors=True)


def inject_reload(html: str, *, good: int) -> str:
    """Add the live-reload script to a page, just before ``</body>``.

    Parameters
    ----------
    html
        A page from :func:`mapper.render.render_html`.
    good
        The good-build number the page shows; the script reloads when the server's differs.

    Returns
    -------
    str

    Examples
    --------
    >>> "EventSource" in inject_reload("<html><body></body></html>", good=1)
    True
    """
    script = "<script>" + _RELOAD_JS % {
        "good": good, "status": STATUS_PATH, "events": EVENTS_PATH} + "</script>\n"
    at = html.rfind("</body>")
    return html + script if at < 0 else html[:at] + script + html[at:]


def _handler(preview: Preview, closing: threading.Event) -> type[BaseHTTPRequestHandler]:
    """A request handler class bound to one preview."""

    class Handler(BaseHTTPRequestHandler):
        server_version = "mapper-serve"

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: no line per request."""

        def _send(self, body: bytes, ctype: str, status: HTTPStatus = HTTPStatus.OK) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0].split("#", 1)[0]
            if path in ("/", "/index.html"):
                self._send(preview.served_page(), "text/html; charset=utf-8")
            elif path == STATUS_PATH:
                self._send(preview.status(), "application/json")
            elif path == EVENTS_PATH:
                self._events()
            elif path == "/favicon.ico":
                self.send_response(HTTPStatus.NO_CONTENT)
                self.end_headers()
            else:
                self._send(b"not found\n", "text/plain", HTTPStatus.NOT_FOUND)

        def _events(self) -> None:
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            seen = -1
            try:
                while not closing.is_set():
                    state = preview.wait(seen, KEEPALIVE)
                    if closing.is_set():
                        break
                    if state.build != seen:
                        seen = state.build
                        self.wfile.write(f"data: {state.build}\n\n".encode())
                    else:
                        self.wfile.write(b": keep-alive\n\n")
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                pass

    return Handler


def watch_changes(dataset: Path, stop: threading.Event) -> Iterator[set[str]]:
    """Yield the set of changed paths under ``dataset`` after each burst of saves.

    Parameters
    ----------
    dataset
        The folder to watch (recursively).
    stop
        Set it to end the iteration.

    Yields
    ------
    set of str
        The paths that changed.
    """
    import watchfiles

    for changes in watchfiles.watch(dataset, stop_event=stop, raise_interrupt=False,
                                    yield_on_timeout=False):
        yield {path for _, path in changes}


@contextmanager
def running(dataset: Path | str, *, port: int = 8000, tiles: str | None = None,
            on_build: Callable[[BuildState], None] | None = None,
            ) -> Iterator[tuple[ThreadingHTTPServer, Preview]]:
    """Build, serve and watch a dataset while the ``with`` block runs.

    Parameters
    ----------
    dataset
        The dataset folder.
    port
        The TCP port on 127.0.0.1 (0: any free port; read ``server.server_address``).
    tiles
        Online tiles, as ``mapper build --tiles``.
    on_build
        Called after every build with the new state (e.g. to print errors).

    Yields
    ------
    tuple
        The HTTP server (already serving, in a thread) and the preview.
    """
    preview = Preview(dataset, tiles=tiles)
    closing = threading.Event()
    stop = threading.Event()
    server: ThreadingHTTPServer | None = None
    threads: list[threading.Thread] = []
    try:
        state = preview.rebuild()
        if on_build is not None:
            on_build(state)
        server = ThreadingHTTPServer(("127.0.0.1", port), _handler(preview, closing))
        server.daemon_threads = True

        def watch() -> None:
            for _ in watch_changes(preview.dataset, stop):
                s = preview.rebuild()
                if on_build is not None:
                    on_build(s)

        threads = [threading.Thread(target=server.serve_forever, name="mapper-serve-http",
                                    daemon=True),
                   threading.Thread(target=watch, name="mapper-serve-watch", daemon=True)]
        for t in threads:
            t.start()
        yield server, preview
    finally:
        closing.set()
        stop.set()
        preview.wake()
        if server is not None:
            server.shutdown()
            server.server_close()
        for t in threads:
            t.join(timeout=5)
        preview.close()


def serve(dataset: Path | str, *, port: int = 8000, tiles: str | None = None,
          echo: Callable[[str], None] = print) -> None:
    """Serve a live preview of a dataset until interrupted (Ctrl-C).

    Parameters
    ----------
    dataset
        The dataset folder.
    port
        The TCP port on 127.0.0.1 (0: any free port).
    tiles
        Online tiles, as ``mapper build --tiles``.
    echo
        Where to print the address and each build's outcome.

    Examples
    --------
    >>> serve("geodata/aleppo-2024", port=8000)  # doctest: +SKIP
    Serving geodata/aleppo-2024 at http://127.0.0.1:8000/ (Ctrl-C to stop)
    """
    def report(state: BuildState) -> None:
        if state.errors:
            echo(f"build {state.build}: {len(state.errors)} error(s); serving the last good map")
            for line in state.errors:
                echo(f"  {line}")
        else:
            echo(f"build {state.build}: ok")

    stopped = threading.Event()
    with running(dataset, port=port, tiles=tiles, on_build=report) as (server, _):
        host, bound = server.server_address[:2]
        echo(f"Serving {dataset} at http://{host!s}:{bound}/ (Ctrl-C to stop)")
        try:
            while not stopped.wait(3600):
                pass
        except KeyboardInterrupt:
            echo("stopping")
