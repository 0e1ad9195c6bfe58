"""The probe clients: one adapter per way of sending a request, all with the interface of ``base.Client``.

- ``httpx_client``  raw httpx2: the key's bytes exactly as stored
- ``sdk_python``    the installed official Python SDK (``anthropic``), no retries
- ``curl``          system curl, the key through ``--config -`` on stdin, never on the command line
- ``sdk_node``      the official Node SDK at a chosen version, in a node worker (``node_worker.cjs``; ``node_install``
                    installs the SDK)

``kit.probe.clients.registry.make_client(name)`` builds one by name; every answer becomes an ``AttemptResult`` row.
"""
