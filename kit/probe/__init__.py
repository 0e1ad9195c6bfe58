"""Probe: the plan of requests, the async engine that sends them through real clients, the run log, and the
Admin API lookup."""
