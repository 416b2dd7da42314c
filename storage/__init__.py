"""SQLite persistence: schema, migrations and the Store (the only package that writes SQL)."""
from storage.store import Store, StoreBusyError, default_db_path

__all__ = ["Store", "StoreBusyError", "default_db_path"]
