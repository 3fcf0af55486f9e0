"""nhigraph: an identity graph and blast-radius analyzer for SaaS integrations.

Every integration (OAuth app, API key, webhook secret, service account, app
installation) is a non-human identity; nhigraph puts them, their credentials,
scopes, tenants, data stores, vendors and teams into one graph.
"""

__version__ = "0.1.0"
