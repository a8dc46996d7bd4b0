"""AWS Lambda handler of the LEE project (the seed's story, month 3).

The entry imports only the fast path; everything else is imported at function level.
"""
from fast_path import *  # Only fast imports


def lambda_handler(event, context):
    return gateway.handle(event)
