"""Measurement tools run by hand or by nox: isolation cost, bare reference loop, repeatability."""
