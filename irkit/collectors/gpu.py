"""GPU utilisation and memory, per GPU and per process, through NVML.

A GPU node that mines shows it here first: busy GPUs and a process holding GPU
memory that is not the training job. NVML (`nvidia-ml-py`) is an optional extra;
without it or without a driver, collection goes on with one log line. NVML talks
to the live driver, so it is skipped when the procfs is not the live one.
"""

from dataclasses import dataclass, field
from typing import Any, ClassVar

from irkit.collectors.base import Collector, Context
from irkit.evidence.records import Record


@dataclass
class GpuRecord(Record):
    kind: ClassVar[str] = "gpu"
    index: int
    name: str | None = None
    uuid: str | None = None
    pci_bus_id: str | None = None
    driver_version: str | None = None
    utilization_gpu: int | None = None
    utilization_memory: int | None = None
    memory_total: int | None = None
    memory_used: int | None = None
    temperature_c: int | None = None
    power_watts: float | None = None
    errors: list[str] = field(default_factory=list)


@dataclass
class GpuProcessRecord(Record):
    kind: ClassVar[str] = "gpu_process"
    gpu_index: int
    gpu_uuid: str | None
    pid: int
    used_memory: int | None
    context: str


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class GpuCollector(Collector):
    name = "gpu"
    volatility = 25
    description = "NVIDIA GPUs through NVML: utilisation, memory, processes using them"

    def collect(self, ctx: Context) -> None:
        if not ctx.proc_is_live:
            ctx.log("nvml", "skipped", "not a live host (--proc is not /proc)")
            return
        try:
            import pynvml
        except ImportError:
            ctx.log("nvml", "skipped", "nvidia-ml-py is not installed (pip install irkit[gpu])")
            return
        try:
            pynvml.nvmlInit()
        except pynvml.NVMLError as exc:
            ctx.log("nvml", "skipped", f"no NVIDIA driver ({exc})")
            return
        try:
            self._collect(ctx, pynvml)
        finally:
            pynvml.nvmlShutdown()

    def _collect(self, ctx: Context, nvml: Any) -> None:
        driver = self._call(nvml, [], nvml.nvmlSystemGetDriverVersion)
        count = nvml.nvmlDeviceGetCount()
        ctx.log("nvml", gpus=count, driver_version=_text(driver) if driver else None)
        for index in range(count):
            handle = nvml.nvmlDeviceGetHandleByIndex(index)
            gpu = GpuRecord(index=index, driver_version=_text(driver) if driver else None)
            errors = gpu.errors
            name = self._call(nvml, errors, nvml.nvmlDeviceGetName, handle)
            gpu.name = _text(name) if name is not None else None
            uuid = self._call(nvml, errors, nvml.nvmlDeviceGetUUID, handle)
            gpu.uuid = _text(uuid) if uuid is not None else None
            pci = self._call(nvml, errors, nvml.nvmlDeviceGetPciInfo, handle)
            gpu.pci_bus_id = _text(pci.busId) if pci is not None else None
            rates = self._call(nvml, errors, nvml.nvmlDeviceGetUtilizationRates, handle)
            if rates is not None:
                gpu.utilization_gpu, gpu.utilization_memory = rates.gpu, rates.memory
            memory = self._call(nvml, errors, nvml.nvmlDeviceGetMemoryInfo, handle)
            if memory is not None:
                gpu.memory_total, gpu.memory_used = memory.total, memory.used
            gpu.temperature_c = self._call(
                nvml, errors, nvml.nvmlDeviceGetTemperature, handle, nvml.NVML_TEMPERATURE_GPU
            )
            power = self._call(nvml, errors, nvml.nvmlDeviceGetPowerUsage, handle)
            gpu.power_watts = power / 1000 if power is not None else None
            ctx.emit(gpu)
            for context, query in (
                ("compute", nvml.nvmlDeviceGetComputeRunningProcesses),
                ("graphics", nvml.nvmlDeviceGetGraphicsRunningProcesses),
            ):
                for proc in self._call(nvml, errors, query, handle) or []:
                    ctx.emit(
                        GpuProcessRecord(index, gpu.uuid, proc.pid, proc.usedGpuMemory, context)
                    )
            if errors:
                ctx.log("nvml", "partial", "; ".join(errors), gpu=index)

    @staticmethod
    def _call(nvml: Any, errors: list[str], function: Any, *args: Any) -> Any:
        """One NVML query; a GPU that does not support it is noted, not fatal."""
        try:
            return function(*args)
        except nvml.NVMLError as exc:
            errors.append(f"{function.__name__}: {exc}")
            return None
