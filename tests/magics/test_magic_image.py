"""``%g4f -f image``: a picture made by an image model, saved and shown in the cell (a real IPython shell)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from images_api import PNG, ImagesAPI, add_images_provider
from IPython.testing import globalipapp
from IPython.utils.capture import capture_output

from g4f_jupyter.core.events import Media
from g4f_jupyter.magics.options import parse_options
from g4f_jupyter.magics.render import show_media

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def ip(loopback, user_providers_dir) -> Iterator[Any]:
    add_images_provider(user_providers_dir, loopback(ImagesAPI))
    globalipapp.start_ipython()
    shell = globalipapp.get_ipython()
    shell.run_line_magic("load_ext", "g4f_jupyter")
    shell.magics_manager.registry["G4FMagics"].history.clear()
    yield shell


def pngs(outputs: list[Any]) -> list[bytes]:
    return [base64.b64decode(o.data["image/png"]) if isinstance(o.data["image/png"], str) else o.data["image/png"]
            for o in outputs if "image/png" in o.data]


def test_image_format_shows_the_saved_picture(ip, g4f_data_dir) -> None:
    with capture_output() as captured:
        result = ip.run_cell("%g4f -p Pics -m pic-1 -f image A lighthouse at night", store_history=True)
    assert result.success and ImagesAPI.bodies[-1]["prompt"] == "A lighthouse at night"
    assert pngs(captured.outputs) == [PNG]
    (saved,) = (g4f_data_dir / "media").iterdir()
    assert "lighthouse" in saved.name and saved.read_bytes() == PNG
    assert "/media/" + saved.name in str(result.result)  # the cell's value links the saved file


def test_other_formats_do_not_show_pictures(ip) -> None:
    with capture_output() as captured:
        assert ip.run_cell("%g4f -p Pics -m pic-1 -f markdown A lighthouse", store_history=True).success
    assert pngs(captured.outputs) == []


def test_image_is_a_format_and_a_missing_file_is_one_line(g4f_data_dir) -> None:
    assert parse_options("-f image hi").format == "image"
    with capture_output() as captured:
        show_media([Media(urls=("/media/gone.png", "data:image/png;base64," + base64.b64encode(PNG).decode()))])
    assert "cannot show /media/gone.png" in captured.stderr and pngs(captured.outputs) == [PNG]
