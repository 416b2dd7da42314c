"""The console's application layer: what the CLI commands and the screens both call.

Surfaces (console/commands/ parse arguments and print; console/screens/ and console/widgets/ show)
call these modules; these call core/ and storage/. Nothing here imports a surface.
opening.py is the one place that opens the store and the exchange gateways.
"""
