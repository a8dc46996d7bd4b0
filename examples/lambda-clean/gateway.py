"""Routes each request to its operation."""
import interface_cache


def handle(event):
    operation = event.get("operation", "get")
    if operation == "fetch":
        # Heavy, rarely used: imported only when needed (the fast-path discipline).
        import gateway_wrappers

        return gateway_wrappers.fetch(event["url"])
    return interface_cache.get(event.get("key", ""))
