"""The share widget: publish a chat's conversation as a link and a QR code.

It stores the conversation through :func:`g4f_jupyter.service.shares.save_share`, the same
file the ``/backend-api/v2/chat/<share_id>`` route serves, and re-saves it after every
finished answer so the shared page follows the chat. "Stop sharing" deletes it, so the
link answers 404 until the chat is shared again. Under JupyterHub a second button also copies
the share to the hub's shares service, where every user logged in to the hub can read it;
"Stop sharing" then removes that copy too.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from ..errors import G4FError, NotFoundError
from ..service.hub_shares import hub_sharing_available, publish_saved_share, unpublish_from_hub
from ..service.share_links import share_url_for
from ..service.shares import delete_share, new_share_id, save_share
from ._render import link_html, note_html, now_ms, qr_html
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
        self.hub_url: str | None = None
        self.shared = False
        self._saved_stamp = 0
        self.share_button = widgets.Button(description="Share", icon="share-alt", button_style="info")
        self.stop_button = widgets.Button(
            description="Stop sharing", icon="ban", button_style="warning", layout=widgets.Layout(display="none")
        )
        self.hub_button = widgets.Button(
            description="Share with hub users",
            icon="users",
            tooltip="A link every user logged in to this JupyterHub can open",
            layout=widgets.Layout(display=None if hub_sharing_available() else "none"),
        )
        self.link = widgets.HTML()
        self.qr = widgets.HTML()
        self.hub_link = widgets.HTML()
        self.status = widgets.HTML()
        buttons = widgets.HBox([self.share_button, self.hub_button, self.stop_button])
        super().__init__([buttons, self.link, self.qr, self.hub_link, self.status])
        self.add_class("g4f-share")
        self.share_button.on_click(lambda _: self.share())
        self.hub_button.on_click(lambda _: self.share_with_hub())
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

    def share_with_hub(self) -> str | None:
        """Share here, then copy the share to the hub's shares service; the hub link, ``None`` if that failed."""
        share_id = self.share()
        if share_id is None:
            return None
        try:
            self.hub_url = publish_saved_share(share_id)
        except (G4FError, OSError) as exc:  # the hub's refusal or absence, with its reason
            self.status.value = note_html(f"Could not share with hub users: {exc}", "error")
            return None
        self.hub_link.value = (
            "<p>For hub users (anyone logged in to this hub; anyone at all if its operator made shares public): "
            f"{link_html(self.hub_url)}</p>{qr_html(self.hub_url, 'Shared chat link for hub users')}"
        )
        self.status.value = note_html(f"Shared {len(self.chat.conversation['items'])} messages with hub users.")
        return self.hub_url

    def stop_sharing(self) -> bool:
        """Delete the share (and its copy for hub users) so its links stop working; ``False`` (and a note) if not."""
        try:
            delete_share(self.share_id)
        except NotFoundError:
            pass  # already gone (deleted over HTTP): stopped all the same
        except (G4FError, OSError) as exc:
            self.status.value = note_html(f"Could not stop sharing: {exc}", "error")
            return False
        if self.hub_url:
            try:
                unpublish_from_hub(self.share_id)
            except NotFoundError:
                pass  # the hub's copy is already gone
            except (G4FError, OSError) as exc:  # keep the hub link shown: it still opens
                self.status.value = note_html(
                    f"Stopped sharing here, but the copy for hub users at {self.hub_url} stays: {exc}", "error"
                )
                self._stopped_here()
                self.stop_button.layout.display = None  # pressing it again retries the hub
                return False
            self.hub_url = None
            self.hub_link.value = ""
        self._stopped_here()
        self.status.value = note_html(f"Stopped sharing {self.share_id}: its links no longer open.")
        return True

    def _stopped_here(self) -> None:
        self.shared = False
        self.url = None
        self.share_button.description = "Share"
        self.stop_button.layout.display = "none"
        self.link.value = self.qr.value = ""

    def _show_link(self) -> None:
        self.url = share_url_for(self.share_id, self.base_url, self.public)
        if self.url is None:
            self.link.value = note_html(
                f"Shared as {self.share_id}; no running Jupyter server was found to build a link "
                "(set G4F_SHARE_URL or pass base_url).",
                "warning",
            )
            return
        self.link.value = link_html(self.url)
        self.qr.value = qr_html(self.url, "Shared chat link")

    def _on_chat_updated(self, _change: Any) -> None:
        if self.hub_url:
            self.share_with_hub()
        elif self.shared:
            self.share()
