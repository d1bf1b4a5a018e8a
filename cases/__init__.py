"""Cases of the "can't get it done" window (办不成事): their rules and their county's owner."""
