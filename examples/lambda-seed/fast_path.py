"""
Fast Path: Minimum imports for cold start optimization.

ONLY modules meeting criteria:
- Import time <10ms, OR
- Used on >80% of requests (hot path exception)

Last profiled: 2025-11-08
Target cold start: <2 seconds

REVIEW REQUIRED for any changes to this file!
"""

# Tier 1: Lightweight (<10ms)
import json           # 0.8ms, every request
import time           # 0.4ms, timing operations
import logging        # 4.2ms, logging everywhere

# Tier 2: Hot path exceptions (>10ms but >80% usage)
import gateway        # 15ms, every request - PROFILED 2025-11-08
import cache_core     # 35ms, every request - PROFILED 2025-11-08

# Export for easy import
__all__ = [
    'json', 'time', 'logging',
    'gateway', 'cache_core'
]

# HISTORY:
# 2025-10-01: Initial file, 5 imports, 55ms total
# 2025-11-08: Removed boto3 (moved to function level), 55ms total
