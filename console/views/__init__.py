"""Text and rich renderings shared by the CLI's output and the console's screens."""
