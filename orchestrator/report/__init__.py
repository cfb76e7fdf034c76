"""Observers of the run's event stream: console, logs, recap (and, later, files for CI)."""
