"""`python -m exposure_audit` runs the CLI."""

from exposure_audit.cli.app import main

if __name__ == "__main__":
    main()
