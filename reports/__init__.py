"""Reports of hours, services, activities and active volunteers: pure tabulation of ledger
entries by area, service type, team and month, and their CSV and XLSX forms (DESIGN §10)."""
