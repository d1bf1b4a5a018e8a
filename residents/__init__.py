"""Residents' profiles, per county (DESIGN §9)."""
