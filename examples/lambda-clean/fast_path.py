"""
Fast Path: Minimum imports for cold start optimization.

ONLY modules meeting criteria:
- Import time <10ms, OR
- Used on >80% of requests (hot path exception)

Last profiled: 2026-11-27
Target cold start: <2 seconds

REVIEW REQUIRED for any changes to this file!
"""

# Tier 1: Lightweight (<10ms)
import json           # 0.8ms, every request
import time           # <0.1ms, timing operations
import logging        # 3.3ms, logging everywhere
import gateway        # 0.3ms, every request
import cache_core     # 0.1ms, every request

# Export for easy import
__all__ = [
    'json', 'time', 'logging',
    'gateway', 'cache_core'
]

# HISTORY:
# 2025-10-01: Initial file, 5 imports, 55ms total
# 2025-11-08: Removed boto3 (moved to function level), 55ms total
# 2026-11-27: Moved urllib.request into interface_cache.refresh(), 5 imports, 2ms total
