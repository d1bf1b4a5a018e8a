"""Care plans (夕阳计划, 政策找人): their periods, who qualifies, and their county's owner."""
