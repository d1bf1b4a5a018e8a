"""The live flow (实时流转) the office watches: counts, timings, overdue and escalated work."""
