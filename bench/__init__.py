"""frugal-bench: find the smallest AI model that is good enough for a public-service task."""

__version__ = "0.1.0"
