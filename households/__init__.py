"""Civic points and the village points supermarket (积分超市)."""
