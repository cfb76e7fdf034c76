"""The engine: drives module logic against transports, hosts in parallel, with retries."""
