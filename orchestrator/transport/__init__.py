"""Adapters that reach hosts. `psrp/` is the pypsrp adapter, the only importer of pypsrp.

Everything else speaks the sans-IO vocabulary of `orchestrator.commands` (Command in,
CommandResult out, the Transport and Connector protocols) and sees only our own errors.
"""
