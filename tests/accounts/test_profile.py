"""Your own name and picture: the picture keeps nothing of the upload but its pixels."""

from __future__ import annotations

import io

from PIL import Image

from tests.fixtures.factories import World

GPS_IFD = 0x8825


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (640, 480), (200, 80, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[GPS_IFD] = {1: "N", 2: (37.0, 33.0, 59.0), 3: "E", 4: (126.0, 58.0, 40.0)}
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


async def test_a_picture_is_stored_as_a_small_png_without_its_metadata(world: World) -> None:
    login = await world.login(world.agent)
    upload = _jpeg_with_gps()
    assert Image.open(io.BytesIO(upload)).getexif().get_ifd(GPS_IFD)  # the upload has GPS
    saved = await login.client.put(
        "/api/v1/me/avatar",
        content=upload,
        headers={**login.headers(), "Content-Type": "image/jpeg"},
    )
    assert saved.status_code == 204, saved.text
    mine = await login.client.get("/api/v1/me/avatar")
    assert mine.headers["content-type"] == "image/png"
    stored = Image.open(io.BytesIO(mine.content))
    assert stored.format == "PNG" and stored.size == (128, 128)
    assert not stored.getexif() and "exif" not in stored.info
    # Teammates see it; other workspaces don't.
    owner = await world.login()
    seen = await owner.client.get(f"{world.base}/members/{world.agent.id}/avatar")
    assert seen.status_code == 200 and seen.content == mine.content
    members = (await owner.client.get(f"{world.base}/members")).json()
    assert {m["id"]: m["has_avatar"] for m in members}[world.agent.id] is True


async def test_what_is_not_a_picture_is_refused(world: World) -> None:
    login = await world.login(world.agent)
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    for body in (svg, b"GIF89a" + b"\x00" * 20, b""):
        refused = await login.client.put(
            "/api/v1/me/avatar",
            content=body,
            headers={**login.headers(), "Content-Type": "image/png"},
        )
        assert refused.status_code == 400 and refused.json()["code"] == "avatar_unreadable"
    huge = b"\x89PNG\r\n\x1a\n" + b"\x00" * (3 * 1024 * 1024)
    too_big = await login.client.put(
        "/api/v1/me/avatar", content=huge, headers={**login.headers(), "Content-Type": "image/png"}
    )
    assert too_big.status_code == 413
    assert (await login.client.get("/api/v1/me/avatar")).status_code == 404
    # Without the CSRF header, nothing is stored.
    forged = await login.client.put(
        "/api/v1/me/avatar", content=_jpeg_with_gps(), headers={"Content-Type": "image/jpeg"}
    )
    assert forged.status_code == 403


async def test_renaming_yourself_renames_you_where_you_kept_your_name(world: World) -> None:
    login = await world.login(world.agent)
    renamed = await login.client.patch(
        "/api/v1/me", json={"name": "  박 서연 "}, headers=login.headers()
    )
    assert renamed.status_code == 200 and renamed.json()["name"] == "박 서연"
    members = (await login.client.get(f"{world.base}/members")).json()
    assert {m["id"]: m["name"] for m in members}[world.agent.id] == "박 서연"
    empty = await login.client.patch("/api/v1/me", json={"name": "   "}, headers=login.headers())
    assert empty.status_code == 400
