"""The commands: run, plan, apply (run --plan), resume, rollback, validate and the demo.

Each composes the same pieces (preparation, the fan-out core, the journal session); `cli.py`
keeps only options, help and exit codes.
"""
