"""Server-rendered pages: the web console and the public status page."""
