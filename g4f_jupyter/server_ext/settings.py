"""Server-side settings, configurable as ``c.G4FSettings.<name>`` in jupyter_server_config.

The defaults are the product's (:class:`~g4f_jupyter.service.settings.OperatorSettings`),
so they are written once. A value the operator already exported (``G4F_SHARE_URL``,
``G4F_JUPYTER_<NAME>``) is kept unless the Jupyter config names the setting too.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

from traitlets import Bool, Int, Unicode
from traitlets.config import Configurable

from ..config import data_dir
from ..service.settings import OperatorSettings, UploadLimits, current_settings, export_settings

__all__ = ["G4FSettings"]

_PRODUCT = OperatorSettings()
_FIELDS = tuple(f.name for f in dataclasses.fields(OperatorSettings))


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

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        configured = self.config.get(type(self).__name__, {})
        inherited = current_settings()
        for name in _FIELDS:
            if name not in configured and name not in kwargs:
                setattr(self, name, getattr(inherited, name))

    def operator_settings(self) -> OperatorSettings:
        """The values in force, as the framework-free service layer takes them."""
        return OperatorSettings(**{name: getattr(self, name) for name in _FIELDS})

    def upload_limits(self) -> UploadLimits:
        """The per-request file limits, as the bucket service checks them."""
        return self.operator_settings().upload_limits()

    def apply(self) -> Path:
        """Export the settings (and the data directory) to this process and the kernels it starts."""
        if self.data_dir:
            os.environ["G4F_JUPYTER_DATA_DIR"] = str(Path(self.data_dir).expanduser())
        export_settings(self.operator_settings())
        return data_dir()
