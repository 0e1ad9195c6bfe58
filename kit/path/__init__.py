"""Route: where each client would send a request (routing, the one host gate), and the keyless network checks
(DNS, TCP, proxy, TLS, HTTP) that say whether the path to the API is sound."""
