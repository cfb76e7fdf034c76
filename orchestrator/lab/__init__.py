"""The lab: a simulated Windows domain that speaks real WinRM and PowerShell Remoting.

Two halves meet at `contract.py`: the protocol side (HTTP, authentication, WS-Management,
PSRP) and the domain side (AD, hosts, cmdlets, SMS clients, clock, scenarios). The domain side
knows nothing of HTTP; the protocol side knows nothing of Windows semantics.
"""
