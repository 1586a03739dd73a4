"""FastAPI routes, Jinja2 templates, static files and auth."""
