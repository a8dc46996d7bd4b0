"""In-memory cache shared by every request."""
import threading

_LOCK = threading.Lock()
_STORE = {}


def get(key):
    with _LOCK:
        return _STORE.get(key)


def put(key, value):
    with _LOCK:
        _STORE[key] = value
