"""SQLite as the clinic runs it: Django's backend with a flush that passes the append-only guards
(see `base`)."""
