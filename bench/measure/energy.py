"""Energy and CO2 over a measurement window, through codecarbon's offline tracker, with the method on record.

codecarbon picks its CPU method silently: energy counters (RAPL) when the kernel exposes them, otherwise
an estimate = (a full-load CPU power) × (this process's CPU time ÷ wall time ÷ logical CPUs). The
full-load power comes from the user, from codecarbon's TDP table if it knows the CPU, or from a default
of 4 W per thread if it does not, and codecarbon only logs which. We read back the method it set up
and write it into every record, with the wattages assumed.

A stated CPU power (`cpu_watts`) is the full-load power of the *target* running the cell's `threads`
threads; codecarbon divides by this machine's logical CPUs, so it receives cpu_watts × CPUs ÷ threads.
codecarbon reads ~0 on sub-second windows: measure over several seconds (see measure.loop).

codecarbon's two background threads wake every second to sample (~40 ms of CPU per second here: psutil
scans of /proc), competing with the model. They are paused for the window: in process mode the estimate
is (CPU time of the process over the window) × power, and counters (RAPL) are read as a difference, so
one reading at the end covers the whole window exactly. If codecarbon's internals change, sampling
stays on and the record says so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

MEASURED_MODES = {"intel_rapl": "RAPL energy counters", "windows_emi": "Windows Energy Meter Interface",
                  "intel_power_gadget": "Intel Power Gadget", "apple_powermetrics": "Apple powermetrics"}
PER_THREAD_DEFAULT_W = 4.0  # codecarbon's DEFAULT_POWER_PER_CORE, for the record when it cannot be read


@dataclass(frozen=True)
class EnergySettings:
    country_iso_code: str = "FRA"
    pue: float = 1.0
    cpu_watts: float | None = None  # the user's statement: full-load power of the target CPU (W)
    ram_watts: float | None = None
    carbon_intensity_g_per_kwh: float | None = None  # overrides the country's grid intensity


def describe_cpu_method(mode: str | None, assumed_w: float | None, *, stated_w: float | None, threads: int,
                        machine_cpus: int, cpu_model: str | None, in_tdp_table: bool | None,
                        per_thread_w: float = PER_THREAD_DEFAULT_W) -> dict[str, Any]:
    """How the CPU energy was obtained, in words and fields (pure: testable without codecarbon)."""
    share = f"this process's CPU time ÷ wall time ÷ {machine_cpus} logical CPUs"
    watts = "unknown" if assumed_w is None else f"{assumed_w:g}"
    if mode in MEASURED_MODES:
        return {"measured": True, "cpu_source": "counters", "cpu_power_assumed_w": None,
                "cpu": f"measured ({MEASURED_MODES[mode]})"}
    if stated_w is not None:
        source = "stated"
        sentence = (f"estimate: stated CPU power {stated_w:g} W for {threads} threads × share of them busy "
                    f"(codecarbon given {watts} W × {share})")
    elif in_tdp_table:
        source = "tdp_table"
        sentence = f"estimate: TDP of '{cpu_model}' from codecarbon's CPU table, {watts} W × {share}"
    elif assumed_w is not None and abs(assumed_w - per_thread_w * machine_cpus) < 1e-9:
        source = "per_thread_default"
        sentence = (f"estimate: CPU '{cpu_model}' unknown to codecarbon, default {per_thread_w:g} W per thread × "
                    f"{machine_cpus} threads = {watts} W × {share}")
    else:
        source = "default"
        sentence = f"estimate: codecarbon default CPU power {watts} W (CPU '{cpu_model}') × {share}"
    if mode == "constant":
        sentence += " (constant mode: 50 % load assumed, no load measured)"
    return {"measured": False, "cpu_source": source, "cpu_power_assumed_w": assumed_w, "cpu": sentence}


class EnergyMeter:
    """Start/stop around a window of several seconds; `reading()` gives the figures and their method."""

    sampling = "not started"

    def __init__(self, settings: EnergySettings, threads: int) -> None:
        import psutil
        from codecarbon import OfflineEmissionsTracker

        logging.getLogger("codecarbon").setLevel(logging.ERROR)
        self.settings = settings
        self.threads = max(1, threads)
        self.machine_cpus = psutil.cpu_count(logical=True) or 1  # what codecarbon divides the load by
        kwargs: dict[str, Any] = {
            "country_iso_code": settings.country_iso_code, "output_methods": [], "log_level": "error",
            "measure_power_secs": 10, "tracking_mode": "process", "pue": settings.pue,
        }
        if settings.cpu_watts is not None:
            kwargs["force_cpu_power"] = settings.cpu_watts * self.machine_cpus / self.threads
        if settings.ram_watts is not None:
            kwargs["force_ram_power"] = settings.ram_watts
        if settings.carbon_intensity_g_per_kwh is not None:
            kwargs["force_carbon_intensity_g_co2e_kwh"] = settings.carbon_intensity_g_per_kwh
        self._tracker = OfflineEmissionsTracker(**kwargs)

    def __enter__(self) -> EnergyMeter:
        self._tracker.start()
        self.sampling = "codecarbon background sampling (1 s and 10 s)"
        try:
            for name in ("_scheduler", "_scheduler_monitor_power"):
                getattr(self._tracker, name).stop()
            self.sampling = "one reading at the end of the window (background sampling paused)"
        except AttributeError:  # pragma: no cover - another codecarbon version: keep its sampling
            pass
        return self

    def __exit__(self, *exc: object) -> None:
        self._tracker.stop()

    def _hardware(self, kind: str) -> Any:
        return next((h for h in getattr(self._tracker, "_hardware", []) if type(h).__name__ == kind), None)

    def method(self) -> dict[str, Any]:
        cpu = self._hardware("CPU")
        mode = getattr(cpu, "_mode", None)
        assumed = getattr(cpu, "_tdp", None)
        model = getattr(cpu, "_model", None)
        per_thread_w, in_table = PER_THREAD_DEFAULT_W, None
        try:  # codecarbon internals: degrade to "default" rather than fail a cell
            from codecarbon.core import cpu as cc_cpu
            from codecarbon.core.hardware_cache import get_cached_tdp

            per_thread_w = float(cc_cpu.DEFAULT_POWER_PER_CORE)
            if self.settings.cpu_watts is None and mode not in MEASURED_MODES and model:
                tdp = get_cached_tdp(cc_cpu)  # type: ignore[no-untyped-call]
                in_table = tdp._get_cpu_power_from_registry(model) is not None
        except Exception:  # pragma: no cover - depends on the codecarbon version
            pass
        described = describe_cpu_method(mode, float(assumed) if assumed is not None else None,
                                        stated_w=self.settings.cpu_watts, threads=self.threads,
                                        machine_cpus=self.machine_cpus, cpu_model=model, in_tdp_table=in_table,
                                        per_thread_w=per_thread_w)
        ram = self._hardware("RAM")
        forced_ram = getattr(ram, "_force_ram_power", None)
        try:
            from codecarbon.external.ram import RAM_SLOT_POWER_X86

            per_dimm = f"{RAM_SLOT_POWER_X86:g} W per estimated DIMM, at least 2 DIMMs, "
        except ImportError:  # pragma: no cover - another codecarbon version
            per_dimm = ""
        described.update(
            codecarbon_cpu_mode=mode, codecarbon_cpu_model=model, machine_logical_cpus=self.machine_cpus,
            cpu_watts_stated=self.settings.cpu_watts, cpu_watts_threads=self.threads,
            ram_source="stated" if forced_ram is not None else "codecarbon RAM model (from process memory)",
            ram="estimate: " + (f"stated RAM power {forced_ram:g} W" if forced_ram is not None else
                                f"codecarbon RAM model: {per_dimm}for the process's memory"),
        )
        return described

    def reading(self, requests: int) -> dict[str, Any]:
        """Energy and CO2 of the window, per 1000 requests, with how they were obtained."""
        data = self._tracker.final_emissions_data
        energy_wh = float(data.energy_consumed) * 1000.0
        co2_g = float(data.emissions) * 1000.0
        per_k = 1000.0 / requests if requests else float("nan")
        intensity = co2_g / (energy_wh / 1000.0) if energy_wh else None
        stated = self.settings.carbon_intensity_g_per_kwh
        method = self.method()
        method.update(
            tool=f"codecarbon {data.codecarbon_version} OfflineEmissionsTracker (tracking_mode=process)",
            sampling=self.sampling,
            codecarbon_hardware=[str(h) for h in self._tracker._conf.get("hardware", [])],
            cpu_power_w_mean=float(data.cpu_power), ram_power_w=float(data.ram_power),
            cpu_energy_wh=float(data.cpu_energy) * 1000.0, ram_energy_wh=float(data.ram_energy) * 1000.0,
            pue=self.settings.pue, country_iso_code=data.country_iso_code, carbon_intensity_g_per_kwh=intensity,
            carbon_intensity_source="stated" if stated is not None else
            f"codecarbon grid table for {self.settings.country_iso_code}",
            power_includes_pue=True,
        )
        return {
            "energy_window_wh": energy_wh,
            "co2_window_g": co2_g,
            "energy_window_s": float(data.duration),
            "energy_wh_per_1000_requests": energy_wh * per_k,
            "co2_g_per_1000_requests": co2_g * per_k,
            "grid_carbon_intensity_g_per_kwh": intensity,
            "grid_country_iso3": self.settings.country_iso_code,
            "pue": self.settings.pue,
            "energy_measured": method["measured"],
            "energy_method": method,
        }
