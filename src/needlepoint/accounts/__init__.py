"""People and access: staff roles, patient portal accounts, login, two-factor, throttling."""
