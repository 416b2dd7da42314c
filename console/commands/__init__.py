"""CLI subcommands, one module each; every module exposes `register(sub, common)`.

`console.cli.COMMAND_MODULES` lists them. Keep imports of heavy libraries inside the handlers.
"""
