"""Wrappers for rarely used operations: heavy imports belong here, at function level."""
import asyncio  # stands in for boto3: heavy, but off the cold path (imported in a function)


def fetch(url):
    return asyncio.run(_fetch(url))


async def _fetch(url):
    return {"url": url}
