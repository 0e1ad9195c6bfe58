"""Inspect: what a credential's bytes say (kind, defects, repair, fingerprint, hint) and the Credential holder."""
