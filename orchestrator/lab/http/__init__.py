"""The lab's HTTP side: listeners, TLS, authentication and message encryption, faults, counters."""
