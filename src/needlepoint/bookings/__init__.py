"""Whole-course booking: clinic resources, appointments that hold them, reminders and calendar
feeds. The search itself is the pure `needlepoint.scheduling` core; this app maps rows to its
calendar and back, and lets the database refuse a double booking."""
