"""Cache interface used by the gateway."""
import cache_core
import urllib.request  # Hidden slow import! (stands in for `requests`)


def get(key):
    value = cache_core.get(key)
    if value is None:
        value = {"key": key, "fresh": True}
        cache_core.put(key, value)
    return value


def refresh(url):
    with urllib.request.urlopen(url) as response:
        return response.read()
