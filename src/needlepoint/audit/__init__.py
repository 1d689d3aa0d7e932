"""The audit trail: every view, creation and change of patient data — who, what, when, from
where. Append-only, enforced by the database."""
