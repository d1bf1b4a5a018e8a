"""The points ledger (积分): credits for confirmed service, redeem codes, redemptions, stock."""
