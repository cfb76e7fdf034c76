"""The lab's cmdlets: one module per family, each cmdlet a function over the domain model.

`CATALOG` holds every cmdlet; a host sees those of its modules (the AD module on DCs, the
site's console module on the site server, the core modules everywhere).
"""

from __future__ import annotations

from orchestrator.lab.cmdlets import (
    ad_domain,
    ad_groups,
    ad_users,
    content,
    items,
    local_groups,
    local_users,
    processes,
    scheduled_tasks,
    services,
    sms,
    utility,
)
from orchestrator.lab.cmdlets.engine import Catalog

CATALOG = Catalog(
    (
        *local_users.SPECS,
        *local_groups.SPECS,
        *ad_users.SPECS,
        *ad_groups.SPECS,
        *ad_domain.SPECS,
        *items.SPECS,
        *content.SPECS,
        *services.SPECS,
        *scheduled_tasks.SPECS,
        *processes.SPECS,
        *utility.SPECS,
        *sms.SPECS,
    )
)

__all__ = ["CATALOG", "Catalog"]
