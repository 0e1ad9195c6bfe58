"""Route: where each client would send a request (``routing``), and the keyless network checks (``checks``:
DNS, TCP, proxy, TLS, HTTP, the clock) that say whether the path to the API is sound. Where a key may go
is decided by the one host gate, ``kit.guard.gate``."""
