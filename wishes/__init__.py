"""The micro-wish pool (微心愿): residents post, volunteers claim and fulfil."""
