"""State changes of the photos app: photo consent (`consent`), storing a photo (`photos`), the
medical director's waiver of before photos (`waivers`). Each is one keyword-only, atomic
service that writes the audit trail and refuses with `ServiceError` in plain words."""
