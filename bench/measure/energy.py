"""Energy and CO2 over a measurement window, through codecarbon's offline tracker."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from bench.measure.hardware import rapl_available


@dataclass(frozen=True)
class EnergySettings:
    country_iso_code: str = "FRA"
    pue: float = 1.0
    cpu_watts: float | None = None  # the user's statement of the target CPU's power
    ram_watts: float | None = None
    carbon_intensity_g_per_kwh: float | None = None  # overrides the country's grid intensity


class EnergyMeter:
    """Start/stop around a window of several seconds: codecarbon reads ~0 on sub-second windows."""

    def __init__(self, settings: EnergySettings) -> None:
        from codecarbon import OfflineEmissionsTracker

        logging.getLogger("codecarbon").setLevel(logging.ERROR)
        kwargs: dict[str, Any] = {
            "country_iso_code": settings.country_iso_code, "save_to_file": False, "log_level": "error",
            "measure_power_secs": 1, "tracking_mode": "process", "pue": settings.pue,
        }
        if settings.cpu_watts is not None:
            kwargs["force_cpu_power"] = settings.cpu_watts
        if settings.ram_watts is not None:
            kwargs["force_ram_power"] = settings.ram_watts
        if settings.carbon_intensity_g_per_kwh is not None:
            kwargs["force_carbon_intensity_g_co2e_kwh"] = settings.carbon_intensity_g_per_kwh
        self.settings = settings
        self._tracker = OfflineEmissionsTracker(**kwargs)

    def __enter__(self) -> EnergyMeter:
        self._tracker.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._tracker.stop()

    def reading(self, requests: int) -> dict[str, Any]:
        """Energy figures per 1000 requests, with how they were obtained."""
        data = self._tracker.final_emissions_data
        energy_kwh = float(data.energy_consumed)
        co2_kg = float(data.emissions)
        hardware = [str(h) for h in self._tracker._conf.get("hardware", [])]
        measured = any("rapl" in h.lower() for h in hardware) and rapl_available()
        per_k = 1000.0 / requests if requests else float("nan")
        return {
            "energy_kwh": energy_kwh,
            "energy_wh_per_1000_requests": energy_kwh * 1000.0 * per_k,
            "co2_kg": co2_kg,
            "co2_g_per_1000_requests": co2_kg * 1000.0 * per_k,
            "energy_window_s": float(data.duration),
            "energy_method": {
                "tool": f"codecarbon {data.codecarbon_version} OfflineEmissionsTracker (tracking_mode=process)",
                "cpu": "measured (RAPL counters)" if measured else (
                    f"estimate: stated CPU power {self.settings.cpu_watts} W" if self.settings.cpu_watts
                    else "estimate: codecarbon CPU-load model (no RAPL counters; CPU power not measured)"),
                "codecarbon_hardware": hardware,
                "cpu_power_w_mean": float(data.cpu_power),
                "ram_power_w": float(data.ram_power),
                "cpu_energy_kwh": float(data.cpu_energy),
                "ram_energy_kwh": float(data.ram_energy),
                "measured": measured,
                "pue": self.settings.pue,
                "country_iso_code": data.country_iso_code,
                "carbon_intensity_g_per_kwh": co2_kg * 1000.0 / energy_kwh if energy_kwh else None,
            },
        }
