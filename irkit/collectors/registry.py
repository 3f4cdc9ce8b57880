"""The explicit list of collectors. A new collector is added here, and nowhere else."""

from irkit.collectors.accounts import AccountsCollector
from irkit.collectors.base import Collector
from irkit.collectors.gpu import GpuCollector
from irkit.collectors.host import HostCollector
from irkit.collectors.memory import MemoryCollector
from irkit.collectors.modules import ModulesCollector
from irkit.collectors.persistence import PersistenceCollector
from irkit.collectors.processes import ProcessesCollector
from irkit.collectors.sockets import SocketsCollector

COLLECTORS: tuple[type[Collector], ...] = (
    HostCollector,
    SocketsCollector,
    ProcessesCollector,
    GpuCollector,
    MemoryCollector,
    ModulesCollector,
    PersistenceCollector,
    AccountsCollector,
)


def collector_names() -> list[str]:
    return [c.name for c in COLLECTORS]


def select_collectors(names: list[str] | None) -> list[Collector]:
    """Instances for the names asked for (all when None), most volatile first."""
    by_name = {c.name: c for c in COLLECTORS}
    if names is None:
        chosen = list(COLLECTORS)
    else:
        unknown = [n for n in names if n not in by_name]
        if unknown:
            raise ValueError(
                f"unknown collector(s): {', '.join(unknown)}; known: {', '.join(by_name)}"
            )
        chosen = [by_name[n] for n in dict.fromkeys(names)]
    return sorted((c() for c in chosen), key=lambda c: c.volatility)
