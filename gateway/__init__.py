"""The aiohttp gateway: HTTP API, auth, live stream and the people's web pages."""
