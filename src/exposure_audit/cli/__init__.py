"""The command-line interface: `app` (every command) and the `audit` script."""
