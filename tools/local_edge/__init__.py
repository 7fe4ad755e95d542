"""The local edge: a development stand-in for CloudFront and API Gateway.

It serves the deployed distribution of a local stack (a moto server) on loopback, reading
the deployed configuration from moto on every request (a cache of at most a second), so
the playbooks stay the only source of truth. It adds no rule the real services lack and
drops none: where the edge and AWS disagree, the edge is wrong.

    python -m tools.local_edge --endpoint http://127.0.0.1:5055 --stack local --state local-stack
"""
