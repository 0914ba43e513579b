"""Symbolic differentiation and the derivation steps."""
