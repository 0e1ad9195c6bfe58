"""The three chokepoints every stage goes through: the redaction path (redact), the bounded reader (reader)
and the host gate (gate: where a key may go, and whether a proxy may carry it). Nothing here knows about
stages:
redact names and cleans a secret with the keys stage's leaf modules (kit.keys.naming, kit.keys.clean), which
never import the guard."""
