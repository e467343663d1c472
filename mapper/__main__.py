"""``python -m mapper`` runs the command-line interface."""

from mapper.cli import main

if __name__ == "__main__":
    main()
