"""Booking pages: each module exposes `urls` (namespace "bookings")."""
