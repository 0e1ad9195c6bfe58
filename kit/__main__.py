"""``python -m kit``: the command line (doctor, sim, probe, report)."""

from kit.cli import main

if __name__ == "__main__":
    main()
