"""The web pages' HTML and browser assets, shared by every web door.

The Jupyter server extension (``server_ext``) and the hub's shares service (``hub``) both serve
the chat front-end's bundles from ``static/`` and render the same templates, so neither imports
the other.
"""
