"""``python -m sandan_geo``: the same as the ``sandan-geo`` command."""

from sandan_geo.cli import main

if __name__ == "__main__":
    main()
