"""Pure photo analysis: decoding, the colour card, colour correction, measurement, quality, alignment.

Plain data in, plain data out (NumPy arrays and dicts); no Django. The `needlepoint photo`
command and the photos app both use these functions.
"""
