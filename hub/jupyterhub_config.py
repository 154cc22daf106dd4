"""Try g4f-jupyter with many users on one machine: JupyterHub, one shared model server, shared chats.

    GGUF=$(.venv/bin/python -c 'from g4f_jupyter.core.drivers.local import model_path; print(model_path())')
    .venv/bin/python -m llama_cpp.server --model "$GGUF" --port 8080 --interrupt_requests False &
    PATH="$PWD/.venv/node/node_modules/.bin:$PWD/.venv/bin:$PATH" .venv/bin/jupyterhub -f hub/jupyterhub_config.py

then open http://127.0.0.1:8000/ and log in as any name with the password ``try-g4f``.
(``--interrupt_requests False``: by default that server cuts the running answer short when the
next request comes, which with several users means somebody else's answer.)
For trying only: users are not system accounts (SimpleLocalProcessSpawner) and the password is
shared (DummyAuthenticator). In production keep the g4f parts (the spawner environment, the
``g4f-shares`` and ``g4f-usage`` services, their roles and scopes) and use your own authenticator
and spawner. Every value below can be moved with a ``G4F_HUB_*`` variable. The operator's policy
per hub group (providers, answers at once, daily tokens) is ``hub/etc/jupyter_server_config.json``.
"""

import os
import sys
from pathlib import Path

c = get_config()  # type: ignore[name-defined]  # noqa: F821 — provided by JupyterHub when it loads this file

here = Path(__file__).resolve().parent
state = Path(os.environ.get("G4F_HUB_STATE", here / "state"))
state.mkdir(parents=True, exist_ok=True)
bin_dir = Path(sys.executable).parent
port = int(os.environ.get("G4F_HUB_PORT", "8000"))
shares_port = int(os.environ.get("G4F_HUB_SHARES_PORT", "8090"))
usage_port = int(os.environ.get("G4F_HUB_USAGE_PORT", "8091"))

# The hub: its public address, its own API and the proxy's API, its state files.
c.JupyterHub.bind_url = f"http://127.0.0.1:{port}/"
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(os.environ.get("G4F_HUB_API_PORT", "8081"))
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{os.environ.get('G4F_HUB_PROXY_API_PORT', '8001')}"
c.ConfigurableHTTPProxy.pid_file = str(state / "proxy.pid")
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
c.JupyterHub.public_url = os.environ.get("G4F_HUB_PUBLIC_URL", f"http://127.0.0.1:{port}/")

# Trying it out: any user name, one password; each user's home under the state directory.
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = os.environ.get("G4F_HUB_PASSWORD", "try-g4f")
c.Authenticator.allow_all = True
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = str(state / "home" / "{username}")

# Each user's server: jupyterhub-singleuser with the g4f extension (installed in this Python),
# reading the hub-wide provider directory hub/etc/g4f/providers below the user's own files.
c.Spawner.cmd = [str(bin_dir / "jupyterhub-singleuser")]
c.Spawner.args = ["--allow-root"] if os.geteuid() == 0 else []
c.Spawner.default_url = "/g4f/"
c.Spawner.environment = {
    "JUPYTER_CONFIG_PATH": os.environ.get("G4F_HUB_CONFIG_PATH", str(here / "etc")),
    "G4F_HUB_MODEL_URL": os.environ.get("G4F_HUB_MODEL_URL", "http://127.0.0.1:8080/v1"),
}
if os.environ.get("G4F_HUB_MODEL_KEY"):  # the shared server's API key, when it has one
    c.Spawner.environment["G4F_HUB_MODEL_KEY"] = os.environ["G4F_HUB_MODEL_KEY"]

# Chats shared between hub users: a hub-managed service behind the hub's OAuth. Every user may
# reach it (the role below); what a user's own server holds stays private to that user.
c.JupyterHub.services = [
    {
        "name": "g4f-shares",
        "url": f"http://127.0.0.1:{shares_port}",
        "command": [sys.executable, "-m", "g4f_jupyter.hub.shares_service"],
        "environment": {
            "G4F_JUPYTER_DATA_DIR": str(state / "shares"),
            "G4F_HUB_PUBLIC_SHARES": os.environ.get("G4F_HUB_PUBLIC_SHARES", ""),  # "true": readable without login
        },
        "oauth_no_confirm": True,
    },
    # Usage per user for admins: each user's server reports its user's usage with its own token;
    # the table (/services/g4f-usage/) needs the scope below, given to group g4f-usage-admins.
    {
        "name": "g4f-usage",
        "url": f"http://127.0.0.1:{usage_port}",
        "command": [sys.executable, "-m", "g4f_jupyter.hub.usage_service"],
        "environment": {"G4F_JUPYTER_DATA_DIR": str(state / "usage")},
        "oauth_no_confirm": True,
        "oauth_client_allowed_scopes": ["custom:g4f-usage:read"],
    },
]
c.JupyterHub.custom_scopes = {
    "custom:g4f-usage:read": {"description": "Read every user's g4f usage (the g4f-usage service)"},
}
c.JupyterHub.load_roles = [
    # Users reach both services (a server token has no more rights than its user); the usage table
    # itself needs the custom scope.
    {"name": "user", "scopes": ["self", "access:services!service=g4f-shares", "access:services!service=g4f-usage"]},
    {
        "name": "g4f-usage-admin",
        "scopes": ["custom:g4f-usage:read", "access:services!service=g4f-usage"],
        "groups": ["g4f-usage-admins"],
    },
]
# A user's server may publish that user's chats and report that user's usage (with the user's own
# rights, no more).
c.Spawner.server_token_scopes = [
    "users:activity!user",
    "access:servers!server",
    "access:services!service=g4f-shares",
    "access:services!service=g4f-usage",
]
