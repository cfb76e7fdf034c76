"""PowerShell Remoting for the lab, standing on psrpcore's sans-IO ServerRunspacePool."""
