"""The faust app: its topics, tables and agents. Start it with `aduan worker`."""
