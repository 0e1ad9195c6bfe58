"""The three chokepoints every stage goes through: the redaction path (redact), the bounded reader (reader)
and, with the path stage, the host gate. Nothing here knows about stages (redact names and cleans a secret with
the keys stage's leaf modules kit.keys.naming and kit.keys.clean, which never import the guard)."""
