"""The audit trail of staff actions (DESIGN §9)."""
