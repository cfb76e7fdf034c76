"""`orchestrator lab serve`: run the simulated domain in the foreground."""

from __future__ import annotations

import random
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
out = Console(highlight=False, soft_wrap=True)


def _shipped_scenarios() -> str:
    """The shipped scenarios' names, read without importing the lab (`--help` stays fast)."""
    folder = Path(__file__).parent / "scenarios"
    return ", ".join(sorted(p.stem for p in folder.glob("*.yaml")))


@app.callback()
def _lab() -> None:
    """The simulated Windows domain (for demos and tests)."""


@app.command()
def serve(  # noqa: PLR0917 -- typer maps each option to a parameter
    scenario: Annotated[
        str, typer.Option(help=f"A shipped scenario ({_shipped_scenarios()}) or a YAML file.")
    ] = "tb1-lockout",
    clients: Annotated[
        int | None, typer.Option(help="Number of SMS clients (5 to 10,000).", min=0, max=10_000)
    ] = None,
    tls: Annotated[bool, typer.Option("--tls", help="HTTPS with a CA generated at start.")] = False,
    port: Annotated[int, typer.Option(help="Port to listen on (0: any free port).", min=0)] = 0,
    port_per_host: Annotated[
        bool, typer.Option("--port-per-host", help="One port per host, path /wsman.")
    ] = False,
    auth: Annotated[
        str,
        typer.Option(
            help="Auth the inventory asks for: ntlm, negotiate, basic, or kerberos (the lab"
            " then runs a real MIT KDC for its domain and writes a krb5.conf the inventory"
            " names)."
        ),
    ] = "ntlm",
    inventory_out: Annotated[
        Path, typer.Option(help="Where to write the inventory reaching every lab host.")
    ] = Path(".orchestrator/lab/inventory.yml"),
    fault_rate: Annotated[
        float | None,
        typer.Option(
            help="Fail this share (0 < RATE <= 1) of every host's SOAP requests: an even mix "
            "of HTTP 500, a drop before and a drop after the host acted."
        ),
    ] = None,
    fault_seed: Annotated[
        int | None, typer.Option(help="Seed of the fault draws (default: a random one, printed).")
    ] = None,
    era: Annotated[
        str | None,
        typer.Option(
            help="nt4_sms2 (the article's) or modern: lockout preset and Guest barriers"
            " (default: the scenario's)."
        ),
    ] = None,
    broken_clients: Annotated[
        int | None,
        typer.Option(
            help="Only the first N clients are in the scenario's failing state; the others are"
            " healthy (default: all as the scenario says).",
            min=0,
        ),
    ] = None,
    smsman_survives_uninstall: Annotated[
        bool | None,
        typer.Option(
            "--smsman-survives-uninstall/--no-smsman-survives-uninstall",
            help="Whether Smsman.exe /u leaves the client's local copy under"
            " %WinDir%\\MS\\SMS\\Core\\Bin\\00000409 (default: the scenario's; the lab's: yes).",
        ),
    ] = None,
    logon_discovery: Annotated[
        bool | None,
        typer.Option(
            "--logon-discovery/--no-logon-discovery",
            help="The site's Windows NT Logon Discovery (default: the scenario's).",
        ),
    ] = None,
    logon_installation: Annotated[
        bool | None,
        typer.Option(
            "--logon-installation/--no-logon-installation",
            help="The site's Windows NT Logon Client Installation (default: the scenario's).",
        ),
    ] = None,
) -> None:
    """Start the lab in the foreground until Ctrl-C or SIGTERM; write an inventory for it."""
    try:
        from orchestrator.lab.harness import LabOptions, RunningLab
    except ImportError as exc:  # the lab's server side is an extra, not the orchestrator's
        out.print(
            f"error: the lab needs the 'lab' extra (missing: {exc.name}): pip install"
            " 'orchestrator[lab]', or `make demo`",
            markup=False,
        )
        raise typer.Exit(2) from None
    if auth not in ("ntlm", "negotiate", "basic", "kerberos"):
        raise typer.BadParameter("expected ntlm, negotiate, basic or kerberos", param_hint="--auth")
    _check_rate(fault_rate)
    _check_era(era)
    if fault_rate is not None and fault_seed is None:
        fault_seed = random.randrange(2**32)  # noqa: S311 -- a seed to print, not a secret
    options = LabOptions(
        scenario=scenario,
        clients=clients,
        tls=tls,
        port=port,
        port_per_host=port_per_host,
        auth=auth,
        kerberos=auth == "kerberos",
        state_dir=inventory_out.parent / "lab-state",
        start_now=True,  # clients and tools compare dates with this machine's clock
        fault_rate=fault_rate,
        fault_seed=fault_seed,
        era=era,
        broken_clients=broken_clients,
        smsman_survives_uninstall=smsman_survives_uninstall,
        logon_discovery=logon_discovery,
        logon_installation=logon_installation,
    )
    stop = threading.Event()
    _on_signals(stop)
    with RunningLab(options) as lab:
        lab.write_inventory(inventory_out)
        hosts = len(lab.endpoints())
        out.print(f"lab ready: {hosts} hosts, inventory at {inventory_out}", markup=False)
        if fault_rate is not None:
            share = f"{fault_rate:.1%} of SOAP requests"
            out.print(f"faults: {share} (seed {fault_seed})", markup=False)
        stop.wait()
    out.print("lab stopped", markup=False)


def _check_rate(rate: float | None) -> None:
    """A fault rate is a probability: 0 < rate <= 1 (NaN fails too)."""
    if rate is not None and not 0.0 < rate <= 1.0:
        raise typer.BadParameter(
            f"{rate} is not a probability: expected 0 < RATE <= 1 (0.03 fails 3 % of requests)",
            param_hint="--fault-rate",
        )


def _check_era(era: str | None) -> None:
    from orchestrator.lab.scenarios import ERAS  # the lab is importable once serve runs

    if era is not None and era not in ERAS:
        raise typer.BadParameter(f"{era!r}: expected {' or '.join(ERAS)}", param_hint="--era")


def _on_signals(stop: threading.Event) -> None:
    def handler(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
