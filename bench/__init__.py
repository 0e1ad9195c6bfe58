"""Benchmarks for `make bench`. Each ``bench_*.py`` module has ``run() -> list[dict]`` of measured rows."""
