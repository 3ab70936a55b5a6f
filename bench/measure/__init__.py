"""Measurements of one cell: latency, memory, energy, hardware. Small value objects, no model imports."""
