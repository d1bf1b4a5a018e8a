"""Micro-wishes (微心愿): posted, claimed, released or lapsed, done, confirmed and credited."""
