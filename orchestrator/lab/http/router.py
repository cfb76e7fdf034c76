"""Which lab host a request is for: its URL path (/wsman/<host>) or its listener's port."""

from __future__ import annotations

import threading
import time
from urllib.parse import unquote

from orchestrator.lab.contract import LabBackend

PREFIX = "/wsman"
_REFRESH_EVERY = 1.0  # seconds: hosts added at run time are found, unknown paths stay cheap


class Router:
    """Maps URL paths to host names, case-insensitively as HTTP.sys matches URLs."""

    def __init__(self, backend: LabBackend) -> None:
        self._backend = backend
        self._lock = threading.Lock()
        self._routes: dict[str, str] = {}
        self._refreshed = 0.0
        self.refresh()

    def refresh(self) -> None:
        """Re-read the backend's host names."""
        routes = {name.lower(): name for name in self._backend.host_names()}
        with self._lock:
            self._routes = routes
            self._refreshed = time.monotonic()

    def resolve(self, path: str, fixed_host: str | None) -> str | None:
        """The host for a request path, or None (HTTP.sys answers 404)."""
        path = path.split("?", 1)[0].rstrip("/")
        if fixed_host is not None:
            return fixed_host if path.lower() == PREFIX else None
        if not path.lower().startswith(PREFIX + "/"):
            return None
        name = unquote(path[len(PREFIX) + 1 :]).lower()
        host = self._routes.get(name)
        if host is None and time.monotonic() - self._refreshed > _REFRESH_EVERY:
            self.refresh()
            host = self._routes.get(name)
        return host

    @staticmethod
    def path_for(host: str, *, port_per_host: bool) -> str:
        """The URL path a client uses for `host`."""
        return PREFIX if port_per_host else f"{PREFIX}/{host}"
