"""State changes of people and access: staff invitations and enrolment (`invitations`), the
medical director's staff actions (`staff`), backup codes (`backup_codes`) and the sessions a
user is signed in with (`sessions`). Errors are the clinic's `ServiceError`, with the HTTP
status a view answers."""
