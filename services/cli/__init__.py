"""Entrypoints: the `kcall` command and its sub-commands."""
