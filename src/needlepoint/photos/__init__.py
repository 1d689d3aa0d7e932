"""Clinical photographs: photo consent, private storage, capture per visit and comparison."""
