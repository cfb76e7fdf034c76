"""Benchmarks: the engine against a plain pypsrp script on the lab, 10 to 1,000 hosts.

`make bench` (or `python -m bench`) writes bench/results/results.md, results.json and
scaling.png. See bench/README.md for what is measured, how, and what the numbers say.
"""
