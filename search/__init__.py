"""Elasticsearch: index definitions, documents built from case state, and the queries on them."""
