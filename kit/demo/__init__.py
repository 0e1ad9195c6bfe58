"""Demo: sandboxes built from templates and the fake keys derived from names, for demos and tests."""
