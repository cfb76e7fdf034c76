"""The `proxy` connection setting: a proxy URL, checked at load, passed to pypsrp (issue 13)."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.transport.psrp.settings import build_wsman, settings_for
from tests.inventory.helpers import load, problems


def _inventory(proxy: str) -> str:
    return f'all:\n  hosts:\n    h1: {{proxy: "{proxy}"}}\n    h2: {{}}\n'


def test_proxy_is_loaded_and_defaults_to_none(tmp_path: Path) -> None:
    """A host's proxy URL is kept as written; a host without one goes straight to the host."""
    inventory = load(tmp_path, _inventory("http://proxy.contoso.com:3128"))
    h1, h2 = inventory.host("h1"), inventory.host("h2")
    assert h1 is not None
    assert h2 is not None
    assert h1.connection.proxy == "http://proxy.contoso.com:3128"
    assert h2.connection.proxy is None


@pytest.mark.parametrize("bad", ["proxy.contoso.com:3128", "ftp://proxy", "http://", "http://p:x"])
def test_a_proxy_that_is_not_a_url_is_refused(tmp_path: Path, bad: str) -> None:
    """A proxy must be an http, https or socks5 URL with a host."""
    found = problems(tmp_path, _inventory(bad))
    assert any(p.field == "all.hosts.h1.proxy" and "proxy URL" in p.message for p in found)


def test_a_proxy_password_is_refused_and_never_echoed(tmp_path: Path) -> None:
    """A user name or password in the proxy URL is refused without repeating it."""
    (problem,) = [
        p for p in problems(tmp_path, _inventory("http://ops:S3cret@proxy:3128"))
        if p.field == "all.hosts.h1.proxy"
    ]  # fmt: skip
    assert "user name or password" in problem.message
    assert "S3cret" not in str(problem)


def test_the_proxy_goes_to_pypsrp(tmp_path: Path) -> None:
    """The WSMan of a proxied host sends through that proxy; the others through none."""
    inventory = load(tmp_path, _inventory("http://proxy.contoso.com:3128"))
    for name, expected in (("h1", "http://proxy.contoso.com:3128"), ("h2", False)):
        host = inventory.host(name)
        assert host is not None
        session = build_wsman(settings_for(host, None, tmp_path)).transport.session
        assert session is not None
        assert session.trust_env is False
        proxies: dict[str, object] = dict(session.proxies)
        assert proxies == {"https": expected}
