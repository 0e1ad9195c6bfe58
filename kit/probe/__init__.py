"""Probe: ask the API only what can change the answer, through real clients, and keep every row.

In the order of work: ``options`` (the arguments and where keys may go), ``plan`` and ``adaptive``
(which requests, and why), ``clients/`` (one adapter per client; ``registry`` builds them by name),
``scheduler`` (concurrency, spacing, budget, retry-after), ``runlog`` (the JSONL log, resume, run
ids), ``progress``, ``run`` (what a run returns) and ``engine`` (``probe()``, which chains them);
``admin`` is the Admin API lookup.
"""
