"""Request lifecycle and matching (派单): pure rules and the handlers that apply them."""
