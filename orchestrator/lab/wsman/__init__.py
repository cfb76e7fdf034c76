"""WS-Management for the lab: SOAP in and out, faults, and the shells it dispatches to."""
