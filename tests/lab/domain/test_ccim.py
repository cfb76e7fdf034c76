"""SMS clients: CCIM cycles, the article's log, lockouts caused by clients, orphaning."""

from __future__ import annotations

import itertools
import re
from datetime import datetime, timedelta

from orchestrator.lab.backend import DomainBackend
from orchestrator.lab.domain.sms import E_ACCESSDENIED, ClientHealth

from .conftest import call, ok, run

KEY = "HKLM:\\Software\\Microsoft\\SMS\\Client\\Sites\\Shared\\TB1"
VALUE = "Site Config Last Checked"
ARTICLE_BLOCK = [
    "Warning - could not read files from site TB1 (#2147942405)",
    "Warning - CNALPathEx::GetAccessiblePath returned error 2147942405",
    "CClientSiteCfgArray - Can't get accessible path for site TB1 config info",
    "CCIM32 - Retry in 60 minutes",
]
LINE = re.compile(
    r"^(?P<text>.*) \$\$<CCIM32><(?P<when>\w{3} \w{3} \d{2} \d{2}:\d{2}:\d{2}\.\d{3} \d{4})><thread=112 \(0x70\)>$"
)


def _when(line: str) -> datetime:
    match = LINE.match(line)
    assert match is not None
    return datetime.strptime(match["when"], "%a %b %d %H:%M:%S.%f %Y")


def _texts(lab: DomainBackend, host: str = "WKS0001") -> list[str]:
    return [m["text"] for m in (LINE.match(line) for line in lab.client_log(host)) if m]


def test_failing_clients_log_the_articles_lines(tb1: DomainBackend) -> None:
    """Each failed CCIM writes the four Ccim32.log lines of Q236052 with #2147942405."""
    tb1.advance(timedelta(minutes=1))
    log = tb1.client_log("WKS0001")
    assert len(log) == 4
    assert all(LINE.match(line) for line in log)
    assert _texts(tb1) == ARTICLE_BLOCK
    assert LINE.match(log[0])["when"].startswith("Tue Jan 04 15:00:")  # type: ignore[index]
    status = tb1.client_status("WKS0001")
    assert status is not None
    assert (status.health, status.last_error) == (ClientHealth.Failing, E_ACCESSDENIED)


def test_clients_retry_every_interval(tb1: DomainBackend) -> None:
    """Failures retry after the retry interval: three cycles in just over two hours."""
    tb1.advance(timedelta(hours=2, minutes=1))
    assert _texts(tb1) == ARTICLE_BLOCK * 3
    stamps = [_when(line) for line in tb1.client_log("WKS0001")[::4]]
    assert [b - a for a, b in itertools.pairwise(stamps)] == [timedelta(minutes=60)] * 2


def test_the_interval_text_follows_the_scenario(tb1: DomainBackend) -> None:
    """A shortened retry interval is written as such (the scenario sets it)."""
    demo = DomainBackend.from_scenario("tb1-lockout", manual_clock=True)
    demo.advance(timedelta(seconds=30))
    assert "CCIM32 - Retry in 10 seconds" in _texts(demo)


def test_clients_lock_the_old_account_out_in_nt4(tb1: DomainBackend) -> None:
    """NT4: each failed try counts, so the clients keep SMSClient_TB1 locked out (Q227033)."""
    tb1.advance(timedelta(minutes=1))
    view = tb1.ad_account("SMSClient_TB1")
    assert view is not None
    assert view.locked_out
    tb1.advance(timedelta(hours=1))
    assert tb1.ad_account("SMSClient_TB1").locked_out  # type: ignore[union-attr]
    statuses = ok(run(tb1, "SITE1", call("Get-CMClientStatus", "WKS0001")))
    assert statuses[0].properties["LockedOutAccounts"] == ["CONTOSO\\SMSClient_TB1"]


def test_modern_clients_with_the_previous_password_do_not_lock(tb1_modern: DomainBackend) -> None:
    """Modern N-2: the stored previous password fails silently without locking the account."""
    tb1_modern.advance(timedelta(hours=3))
    view = tb1_modern.ad_account("SMSClient_TB1")
    assert view is not None
    assert (view.locked_out, view.bad_pwd_count) == (False, 0)
    assert tb1_modern.client_status("WKS0001").health is ClientHealth.Failing  # type: ignore[union-attr]


def test_successful_clients_refresh_their_accounts(healthy: DomainBackend) -> None:
    """A good check-in refreshes the known accounts and rewrites the REG_SZ timestamp."""
    healthy.advance(timedelta(hours=1))
    status = healthy.client_status("WKS0002")
    assert status is not None
    assert status.health is ClientHealth.CheckedIn
    assert status.known_accounts == ("CONTOSO\\SMSClient_TB1", "CONTOSO\\SMSClient2_TB1")
    assert status.site_config_last_checked is not None
    assert status.site_config_last_checked.startswith("2000/01/04 15:")
    assert healthy.ad_account("SMSClient_TB1").bad_pwd_count == 0  # type: ignore[union-attr]


def test_second_account_is_tried_when_the_first_fails(healthy: DomainBackend) -> None:
    """Clients try every account they know, in order (Q237759)."""
    ok(run(healthy, "DC1", call("Disable-ADAccount", "SMSClient_TB1")))
    healthy.advance(timedelta(hours=1))
    assert healthy.client_status("WKS0001").health is ClientHealth.CheckedIn  # type: ignore[union-attr]


def test_orphan_after_60_days_on_service_restart(tb1: DomainBackend) -> None:
    """Method 2: a REG_SZ date older than 60 days + restarting Clisvcl uninstalls the client."""
    ok(run(tb1, "WKS0001", call("Set-ItemProperty", KEY, VALUE, "1999/10/01 12:00.00")))
    ok(run(tb1, "WKS0001", call("Restart-Service", "Clisvcl")))
    status = tb1.client_status("WKS0001")
    assert status is not None
    assert status.health is ClientHealth.Uninstalled
    assert "CCIM32 - Uninstalling SMS client components" in _texts(tb1)
    assert ok(run(tb1, "WKS0001", call("Test-Path", KEY))) == [False]
    names = [s.properties["Name"] for s in ok(run(tb1, "WKS0001", call("Get-Service")))]
    assert "Clisvcl" not in names


def test_unparseable_date_leaves_the_client_stuck(tb1: DomainBackend) -> None:
    """A date in another culture's format cannot be read: no orphaning, the client stays stuck."""
    for text in ("01.10.1999 12:00:00", "1999/10/01 12:00:00", "1999/13/45 12:00.00"):
        ok(run(tb1, "WKS0001", call("Set-ItemProperty", KEY, VALUE, text)))
        ok(run(tb1, "WKS0001", call("Restart-Service", "Clisvcl")))
        status = tb1.client_status("WKS0001")
        assert status is not None
        assert (status.installed, status.timestamp_unreadable) == (True, True)
    assert "Warning - couldn't read site config timestamp" in _texts(tb1)


def test_missing_timestamp_also_leaves_the_client_stuck(tb1: DomainBackend) -> None:
    """Without the value the client cannot evaluate its age (KB Q265358)."""
    with tb1.inspect() as state:
        host = state.host("WKS0001")
        assert host is not None
        key = host.registry.key(
            "HKEY_LOCAL_MACHINE\\Software\\Microsoft\\SMS\\Client\\Sites\\Shared\\TB1"
        )
        assert key is not None
        key.values.clear()
    ok(run(tb1, "WKS0001", call("Restart-Service", "Clisvcl")))
    assert tb1.client_status("WKS0001").installed  # type: ignore[union-attr]


def test_a_recent_date_does_not_orphan(tb1: DomainBackend) -> None:
    """59 days is not 60: the client stays installed."""
    ok(run(tb1, "WKS0001", call("Set-ItemProperty", KEY, VALUE, "1999/11/06 15:00.00")))
    ok(run(tb1, "WKS0001", call("Restart-Service", "Clisvcl")))
    assert tb1.client_status("WKS0001").installed  # type: ignore[union-attr]


def test_stopped_service_or_down_host_means_no_cycles(tb1: DomainBackend) -> None:
    """No CCIM while Clisvcl is stopped or the host is down; booting evaluates at once."""
    ok(run(tb1, "WKS0001", call("Stop-Service", "Clisvcl")))
    tb1.set_host_up("WKS0002", False)
    tb1.advance(timedelta(hours=3))
    assert tb1.client_log("WKS0001") == ()
    assert tb1.client_log("WKS0002") == ()
    tb1.set_host_up("WKS0002", True)
    tb1.run_due()
    assert len(tb1.client_log("WKS0002")) == 4


def test_client_status_cmdlets(tb1: DomainBackend) -> None:
    """Get-CMClientStatus per client and the summary the engine's probe reads."""
    tb1.advance(timedelta(minutes=1))
    status = ok(run(tb1, "SITE1", call("Get-CMClientStatus", "WKS000*")))
    assert len(status) == 5
    first = status[0].properties
    assert (first["Installed"], first["CheckedIn"], first["LastError"]) == (
        True,
        False,
        E_ACCESSDENIED,
    )
    summary = ok(
        run(tb1, "SITE1", call("Get-CMClientStatusSummary", Account="CONTOSO\\SMSClient_TB1"))
    )[0].properties
    assert (summary["Total"], summary["CheckedIn"], summary["Failing"], summary["Aware"]) == (
        5,
        0,
        5,
        5,
    )
    assert summary["CheckedInRatio"] == 0.0


def test_the_log_can_be_read_remotely(tb1: DomainBackend) -> None:
    """Get-Content on %WinDir%\\MS\\SMS\\Logs\\Ccim32.log returns the client's log lines."""
    tb1.advance(timedelta(minutes=1))
    path = "C:\\WINNT\\MS\\SMS\\Logs\\Ccim32.log"
    lines = ok(run(tb1, "WKS0001", call("Get-Content", path, Tail=2)))
    assert [LINE.match(line)["text"] for line in lines] == ARTICLE_BLOCK[2:]  # type: ignore[index]
    missing = run(tb1, "WKS0001", call("Get-Content", "C:\\nope.log"))
    assert missing.errors[0].fully_qualified_error_id == (
        "PathNotFound,Microsoft.PowerShell.Commands.GetContentCommand"
    )
