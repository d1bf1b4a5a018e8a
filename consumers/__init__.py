"""Downstream workers: the points ledger, the live flow and notifications."""
