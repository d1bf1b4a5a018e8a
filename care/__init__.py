"""Care plans (夕阳计划, 政策找人): recurring visits created when they fall due."""
