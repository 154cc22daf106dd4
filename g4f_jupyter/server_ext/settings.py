"""Server-side settings, configurable as ``c.G4FSettings.<name>`` in jupyter_server_config.

The defaults are the product's (:class:`~g4f_jupyter.service.settings.OperatorSettings`),
so they are written once. A value the operator already exported (``G4F_SHARE_URL``,
``G4F_JUPYTER_<NAME>``) is kept unless the Jupyter config names the setting too.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

from traitlets import Bool, Dict, Int, TraitError, Unicode, validate
from traitlets.config import Configurable

from ..config import data_dir
from ..errors import BadRequestError
from ..service.policy import parse_policy
from ..service.settings import OperatorSettings, UploadLimits, current_settings, export_settings

__all__ = ["G4FSettings"]

_PRODUCT = OperatorSettings()
_FIELDS = tuple(f.name for f in dataclasses.fields(OperatorSettings))
_AS_JSON = ("policy",)  # a dict here, JSON text in the environment kernels inherit


class G4FSettings(Configurable):
    """Everything an operator may want to change about the g4f routes."""

    data_dir = Unicode(
        "",
        config=True,
        help="Data directory shared with kernels (buckets, shares, usage, logs). Empty: <jupyter data dir>/g4f.",
    )
    default_provider = Unicode(
        _PRODUCT.default_provider, config=True, help="Provider used when a request names none (empty: the catalog's)."
    )
    default_model = Unicode(_PRODUCT.default_model, config=True, help="Model used when a request names none.")
    demo_mode = Bool(
        _PRODUCT.demo_mode,
        config=True,
        help="Advertise demo models (demo: true) and pick a demo provider when none is given.",
    )
    demo_providers = Unicode(
        _PRODUCT.demo_providers,
        config=True,
        help="Providers of demo mode (space- or comma-separated): their models are the demo list, and a "
        "request naming no provider goes to one of them offering its model, chosen at random.",
    )
    max_body_bytes = Int(_PRODUCT.max_body_bytes, config=True, help="Largest request body accepted (413 above).")
    max_file_bytes = Int(_PRODUCT.max_file_bytes, config=True, help="Largest single uploaded file (413 above).")
    max_bucket_bytes = Int(_PRODUCT.max_bucket_bytes, config=True, help="Largest total size of one bucket (413 above).")
    max_files_per_request = Int(
        _PRODUCT.max_files_per_request, config=True, help="Most files in one upload (413 above)."
    )
    max_cookie_bytes = Int(_PRODUCT.max_cookie_bytes, config=True, help="Largest cookies .json/.har upload.")
    public_shares = Bool(
        _PRODUCT.public_shares, config=True, help="Serve the read-only shared-chat page without login."
    )
    share_url = Unicode(
        _PRODUCT.share_url, config=True, help="Base URL used in share links and QR codes (empty: this server)."
    )
    allow_private_downloads = Bool(
        _PRODUCT.allow_private_downloads,
        config=True,
        help="Let bucket download jobs reach private/loopback addresses.",
    )
    searxng_url = Unicode(
        _PRODUCT.searxng_url,
        config=True,
        help="Base URL of a SearXNG instance for web search (its JSON API); empty: ddgs when installed.",
    )
    completion_provider = Unicode(
        _PRODUCT.completion_provider,
        config=True,
        help="Provider of inline code completion when a request names none (empty: the chat's default).",
    )
    completion_model = Unicode(
        _PRODUCT.completion_model, config=True, help="Model of inline code completion (empty: the provider's default)."
    )

    policy = Dict(
        config=True,
        help="Who may use what, per JupyterHub group (see g4f_jupyter.service.policy): "
        '{"students": {"providers": ["HubModel"], "models": ["*"], "max_streams": 2, '
        '"daily_tokens": {"HubModel": 50000}}, "*": {...}}. A user gets the rules of their groups named '
        'here, else "*" (also outside a hub). Empty: no limits.',
    )
    usage_report_seconds = Int(
        _PRODUCT.usage_report_seconds,
        config=True,
        help="Under JupyterHub: how often this server reports its user's usage to the hub's g4f-usage "
        "service (0: never).",
    )
    relay_processes = Int(
        _PRODUCT.relay_processes,
        config=True,
        help="Worker processes that answer chat turns from network providers (openai, backend_api drivers) "
        "once the server has authenticated, validated and admitted them, so that relaying many answers "
        "leaves the server's own loop to Jupyter; their answers end with Connection: close. 0: every "
        "answer streams in the server's process.",
    )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        configured = self.config.get(type(self).__name__, {})
        inherited = current_settings()
        for name in _FIELDS:
            if name not in configured and name not in kwargs:
                value = getattr(inherited, name)
                setattr(self, name, json.loads(value or "{}") if name in _AS_JSON else value)

    @validate("policy")
    def _valid_policy(self, proposal: Any) -> Any:
        """A wrong policy stops the server with the key and the problem, instead of limiting nobody."""
        try:
            parse_policy(json.dumps(proposal["value"]))
        except BadRequestError as exc:
            raise TraitError(f"c.G4FSettings.{exc}") from None
        return proposal["value"]

    def operator_settings(self) -> OperatorSettings:
        """The values in force, as the framework-free service layer takes them."""
        values = {name: getattr(self, name) for name in _FIELDS}
        values.update({name: json.dumps(values[name]) if values[name] else "" for name in _AS_JSON})
        return OperatorSettings(**values)

    def upload_limits(self) -> UploadLimits:
        """The per-request file limits, as the bucket service checks them."""
        return self.operator_settings().upload_limits()

    def apply(self) -> Path:
        """Export the settings (and the data directory) to this process and the kernels it starts."""
        if self.data_dir:
            os.environ["G4F_JUPYTER_DATA_DIR"] = str(Path(self.data_dir).expanduser())
        export_settings(self.operator_settings())
        return data_dir()
