"""Flags on hours: the pure rules that find them against a volunteer's history, and the owner
of each county's list that staff work through (DESIGN §10)."""
