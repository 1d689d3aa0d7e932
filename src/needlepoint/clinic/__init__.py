"""The clinic application: patients, intakes, screenings, clearances, assessments, courses,
consent, session charts, check-ins, flags and outcomes."""
