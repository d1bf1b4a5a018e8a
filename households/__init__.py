"""Households' civic points (积分超市): village rules, monthly scores, quarterly exchanges."""
