"""Alerts: what the operator must learn about even when not looking at the terminal.

`model` holds the event kinds and the de-dup key, `detect` turns a monitor cycle into alerts,
`dispatcher` delivers them off the monitor's loop, `channels` knows each way out, `redact`
keeps notification-URL secrets out of logs, SQLite and the screen.
"""
