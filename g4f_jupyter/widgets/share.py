"""The share widget: publish a chat's conversation as a link and a QR code.

It stores the conversation through :func:`g4f_jupyter.service.shares.save_share`, the same
file the ``/backend-api/v2/chat/<share_id>`` route serves, and re-saves it after every
finished answer so the shared page follows the chat. "Stop sharing" deletes it, so the
link answers 404 until the chat is shared again.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets

from ..errors import G4FError, NotFoundError
from ..service.qr import qr_svg
from ..service.share_links import share_url_for
from ..service.shares import delete_share, new_share_id, save_share
from ._render import note_html, now_ms
from .chat import ChatWidget

__all__ = ["ShareWidget"]


class ShareWidget(widgets.VBox):
    """Share ``chat``'s conversation; ``share()`` saves it and returns the share id."""

    def __init__(
        self, chat: ChatWidget, share_id: str | None = None, base_url: str | None = None, public: bool | None = None
    ) -> None:
        self.chat = chat
        self.share_id = new_share_id(share_id or None)
        self.base_url = base_url
        self.public = public
        self.url: str | None = None
        self.shared = False
        self._saved_stamp = 0
        self.share_button = widgets.Button(description="Share", icon="share-alt", button_style="info")
        self.stop_button = widgets.Button(
            description="Stop sharing", icon="ban", button_style="warning", layout=widgets.Layout(display="none")
        )
        self.link = widgets.HTML()
        self.qr = widgets.HTML()
        self.status = widgets.HTML()
        super().__init__([widgets.HBox([self.share_button, self.stop_button]), self.link, self.qr, self.status])
        self.add_class("g4f-share")
        self.share_button.on_click(lambda _: self.share())
        self.stop_button.on_click(lambda _: self.stop_sharing())
        chat.observe(self._on_chat_updated, names="updated")

    def share(self) -> str | None:
        """Save the conversation now (a new ``updated`` stamp each time); ``None`` if it failed."""
        conversation = self.chat.conversation
        if not conversation["items"]:
            self.status.value = note_html("Nothing to share yet: ask something first.", "warning")
            return None
        self._saved_stamp = max(now_ms(), conversation["updated"], self._saved_stamp + 1)
        conversation["updated"] = self._saved_stamp
        try:
            save_share(self.share_id, conversation)
        except (G4FError, OSError) as exc:  # it also runs when an answer ends: a full disk must not break the chat
            self.status.value = note_html(f"Could not share: {exc}", "error")
            return None
        if not self.shared:
            self.shared = True
            self.share_button.description = "Update share"
            self.stop_button.layout.display = None
            self._show_link()
        self.status.value = note_html(f"Shared {len(conversation['items'])} messages.")
        return self.share_id

    def stop_sharing(self) -> bool:
        """Delete the share so its link stops working; ``False`` (and a note) if that failed."""
        try:
            delete_share(self.share_id)
        except NotFoundError:
            pass  # already gone (deleted over HTTP): stopped all the same
        except (G4FError, OSError) as exc:
            self.status.value = note_html(f"Could not stop sharing: {exc}", "error")
            return False
        self.shared = False
        self.url = None
        self.share_button.description = "Share"
        self.stop_button.layout.display = "none"
        self.link.value = self.qr.value = ""
        self.status.value = note_html(f"Stopped sharing {self.share_id}: its link no longer opens.")
        return True

    def _show_link(self) -> None:
        self.url = share_url_for(self.share_id, self.base_url, self.public)
        if self.url is None:
            self.link.value = note_html(
                f"Shared as {self.share_id}; no running Jupyter server was found to build a link "
                "(set G4F_SHARE_URL or pass base_url).",
                "warning",
            )
            return
        url = html.escape(self.url, quote=True)
        self.link.value = f'<a href="{url}" target="_blank" rel="noopener">{url}</a>'
        self.qr.value = f'<div style="width:180px">{qr_svg(self.url, title="Shared chat link")}</div>'

    def _on_chat_updated(self, _change: Any) -> None:
        if self.shared:
            self.share()
