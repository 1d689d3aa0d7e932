"""The pure clinical core: intake, protocol, screening, assessment scales and course planning.

Nothing here imports Django; functions take plain data and return plain data.
"""
