"""g4f-jupyter under JupyterHub: the hub-managed service that holds chats shared between hub users.

Hub users are JupyterHub's own: the service trusts the hub's OAuth and tokens and keeps no
user list of its own. Run it as a managed service (``hub/jupyterhub_config.py``).
"""
