"""Windows services as the Service Control Manager holds them."""

from __future__ import annotations

import enum
from dataclasses import dataclass

SMS_CLIENT_SERVICE = "Clisvcl"  # "SMS Client service (Clisvcl)", KB Q246331 [U on the name]


class ServiceControllerStatus(enum.Enum):
    """System.ServiceProcess.ServiceControllerStatus (its .NET values)."""

    __ps_type_name__ = "System.ServiceProcess.ServiceControllerStatus"

    Stopped = 1
    StartPending = 2
    StopPending = 3
    Running = 4
    ContinuePending = 5
    PausePending = 6
    Paused = 7


class ServiceStartMode(enum.Enum):
    """System.ServiceProcess.ServiceStartMode (its .NET values)."""

    __ps_type_name__ = "System.ServiceProcess.ServiceStartMode"

    Boot = 0
    System = 1
    Automatic = 2
    Manual = 3
    Disabled = 4


@dataclass(slots=True)
class Service:
    """One service; transitions are instantaneous in the lab (no pending states)."""

    name: str
    display_name: str
    status: ServiceControllerStatus = ServiceControllerStatus.Running
    start_type: ServiceStartMode = ServiceStartMode.Automatic
    depends_on: tuple[str, ...] = ()

    @property
    def running(self) -> bool:
        """True while the service runs."""
        return self.status is ServiceControllerStatus.Running
