"""Diagnose: pure rules over one Evidence value, ranking and linking of findings, attribution of the
outcome to a dimension, and the generated causes page."""
