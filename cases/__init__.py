"""Cases of the "can't get it done" window (办不成事): owner, deadline, closed loop."""
