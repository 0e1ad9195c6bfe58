"""The three chokepoints every stage goes through: the redaction path (redact), the bounded reader (reader)
and, with the path stage, the host gate. Nothing here knows about stages."""
