"""Running a plan: cells in isolated processes, their supervision, the run folder and its records."""
