"""People's accounts: phone, credentials, roles and sessions (DESIGN §9)."""
