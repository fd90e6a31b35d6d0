"""`python -m cli`: the `signins` command."""

from cli.main import main

main()
