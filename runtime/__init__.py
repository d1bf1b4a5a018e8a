"""Runtime bindings: configuration, the logs and state stores of both modes, the CLI."""
