"""Needlepoint: the clinic system for microneedling (collagen induction therapy)."""

__version__ = "0.1.0"
