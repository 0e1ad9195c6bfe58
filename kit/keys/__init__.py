"""Inspect: what a credential's bytes say. ``chars`` (character classes and look-alikes), ``naming`` (fingerprint
and hint), ``clean`` (cleaning and repair), ``report`` (Defect, KeyReport), ``inspect`` (inspect_key) and
``credential`` (the Credential holder). Only ``credential`` imports the redaction path; the redaction path
imports only ``naming`` and ``clean``. This file stays import-free so that neither direction runs the other."""
