"""Task Scheduler XML for tests, shaped like what Register-ScheduledTask -Xml receives."""

from __future__ import annotations

from datetime import datetime
from xml.sax.saxutils import escape


def task_xml(
    start: datetime,
    *,
    end: datetime | None = None,
    start_when_available: bool = True,
    delete_after: str | None = None,
    command: str = "powershell.exe",
    script: str | None = None,
    arguments: str | None = None,
) -> str:
    """A one-shot TimeTrigger task running as SYSTEM."""
    if arguments is None:
        arguments = f'-NoProfile -NonInteractive -Command "{script or ""}"'
    end_xml = f"<EndBoundary>{end.strftime('%Y-%m-%dT%H:%M:%S')}</EndBoundary>" if end else ""
    delete_xml = (
        f"<DeleteExpiredTaskAfter>{delete_after}</DeleteExpiredTaskAfter>" if delete_after else ""
    )
    return f"""<?xml version="1.0" encoding="UTF-16"?>
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <Triggers>
    <TimeTrigger>
      <StartBoundary>{start.strftime("%Y-%m-%dT%H:%M:%S")}</StartBoundary>
      {end_xml}
      <Enabled>true</Enabled>
    </TimeTrigger>
  </Triggers>
  <Principals><Principal id="Author"><UserId>S-1-5-18</UserId><RunLevel>HighestAvailable</RunLevel></Principal></Principals>
  <Settings>
    <StartWhenAvailable>{"true" if start_when_available else "false"}</StartWhenAvailable>
    {delete_xml}
    <Enabled>true</Enabled>
  </Settings>
  <Actions Context="Author">
    <Exec><Command>{escape(command)}</Command><Arguments>{escape(arguments)}</Arguments></Exec>
  </Actions>
</Task>"""
