"""Notifications: who should hear about an event, and what they are told."""
