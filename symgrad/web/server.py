"""`symgrad serve`: run the page with uvicorn, bound to 127.0.0.1 unless told otherwise.

Starlette and uvicorn are the `web` extra (`pip install 'symgrad[web]'`); the command line
imports this module only for `serve`, so its other commands work without them.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
import threading
import time
import webbrowser
from typing import TextIO

import uvicorn

from ..core.errors import ArgumentError
from .app import create_app
from .fields import WebLimits

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1", "[::1]")


def is_loopback(host: str) -> bool:
    """Whether `host` is reachable from this computer only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (port 0: a free port); a clear error when it is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as error:
        sock.close()
        raise ArgumentError(f"cannot listen on {host}:{port} ({error.strerror}); "
                            "choose another port with --port") from None
    sock.listen(128)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://{'[' + host + ']' if ':' in host else host}:{port}/"


def serve(host: str = "127.0.0.1", port: int = 8000, open_browser: bool = False,
          limits: WebLimits | None = None, out: TextIO = sys.stdout) -> None:
    """Serve the page until interrupted; says where, and whether only this computer can reach it."""
    sock = bind(host, port)
    url = url_of(sock)
    allowed = ["127.0.0.1", "localhost", "[::1]", "::1"] if is_loopback(host) else None
    config = uvicorn.Config(create_app(limits, allowed_hosts=allowed), log_level="warning",
                            lifespan="on", access_log=False)
    server = uvicorn.Server(config)
    if is_loopback(host):
        print(f"symgrad serve: {url} (bound to {host}, so only this computer can reach it; "
              "Ctrl+C stops)", file=out, flush=True)
    else:
        print(f"symgrad serve: {url} (bound to {host}: OTHER COMPUTERS on the network can reach "
              "this page; use --host 127.0.0.1 to keep it private; Ctrl+C stops)", file=out, flush=True)
    if open_browser:
        threading.Thread(target=_open_when_started, args=(server, url), daemon=True).start()
    server.run(sockets=[sock])


def _open_when_started(server: uvicorn.Server, url: str) -> None:
    for _ in range(600):
        if server.started:
            webbrowser.open(url)
            return
        time.sleep(0.1)
