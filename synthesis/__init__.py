"""Turning charts and stacks into files: atomic writes, drift checks, validation, fast loading."""
