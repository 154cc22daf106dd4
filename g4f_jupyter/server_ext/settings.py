"""Server-side settings, configurable as ``c.G4FSettings.<name>`` in jupyter_server_config."""

from __future__ import annotations

import os
from pathlib import Path

from traitlets import Bool, Int, Unicode
from traitlets.config import Configurable

from ..config import data_dir
from ..service.buckets import UploadLimits
from ..service.share_links import PUBLIC_SHARES_ENV, SHARE_URL_ENV

__all__ = ["G4FSettings"]


class G4FSettings(Configurable):
    """Everything an operator may want to change about the g4f routes."""

    data_dir = Unicode(
        "",
        config=True,
        help="Data directory shared with kernels (buckets, shares, usage, logs). Empty: <jupyter data dir>/g4f.",
    )
    default_provider = Unicode(
        "", config=True, help="Provider used when a request names none (empty: the catalog default)."
    )
    default_model = Unicode("", config=True, help="Model used when a request names none.")
    demo_mode = Bool(
        False, config=True, help="Advertise demo models (demo: true) and pick a demo provider when none is given."
    )
    max_body_bytes = Int(50 * 1024 * 1024, config=True, help="Largest request body accepted (413 above).")
    max_file_bytes = Int(20 * 1024 * 1024, config=True, help="Largest single uploaded file (413 above).")
    max_bucket_bytes = Int(200 * 1024 * 1024, config=True, help="Largest total size of one bucket (413 above).")
    max_files_per_request = Int(50, config=True, help="Most files in one upload request (413 above).")
    max_cookie_bytes = Int(5 * 1024 * 1024, config=True, help="Largest cookies .json/.har upload.")
    public_shares = Bool(False, config=True, help="Serve the read-only shared-chat page without login.")
    share_url = Unicode("", config=True, help="Base URL used in share links and QR codes (empty: this server).")
    allow_private_downloads = Bool(
        False, config=True, help="Let bucket download jobs reach private/loopback addresses."
    )

    def upload_limits(self) -> UploadLimits:
        """The per-request file limits, as the bucket service checks them."""
        return UploadLimits(
            max_file_bytes=self.max_file_bytes,
            max_bucket_bytes=self.max_bucket_bytes,
            max_files=self.max_files_per_request,
        )

    def apply(self) -> Path:
        """Export what kernels must agree on (data directory, share links) to the kernels this server starts."""
        if self.data_dir:
            os.environ["G4F_JUPYTER_DATA_DIR"] = str(Path(self.data_dir).expanduser())
        if self.share_url:
            os.environ[SHARE_URL_ENV] = self.share_url
        os.environ[PUBLIC_SHARES_ENV] = "1" if self.public_shares else "0"
        return data_dir()
