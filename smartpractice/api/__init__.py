"""HTTP adapter: parse, call one service, format."""
