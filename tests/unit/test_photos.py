import io
import os
import stat
import warnings

import pytest
from PIL import Image, ImageFile

from api.photos import MAX_PHOTOS, PhotoRejected, PhotoStore, StoredPhoto

pytestmark = pytest.mark.unit

CASE = "BKL-7K3M9-Q2PXZ"
GPS_IFD = 0x8825
ORIENTATION, MAKE, MODEL = 0x0112, 0x010F, 0x0110


def encode(img: Image.Image, fmt: str, **params) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **params)
    return buf.getvalue()


def jpeg_with_gps(size=(200, 100)) -> bytes:
    exif = Image.Exif()
    exif[MAKE] = "Samsung"
    exif[MODEL] = "Galaxy A14"
    exif[ORIENTATION] = 6
    exif.get_ifd(GPS_IFD).update(
        {
            1: "S",  # GPSLatitudeRef: Bengkulu is just south of the equator
            2: (3.0, 47.0, 45.6),
            3: "E",
            4: (102.0, 15.0, 54.0),
        }
    )
    img = Image.new("RGB", size, (200, 30, 30))
    img.paste((30, 30, 200), (0, 0, size[0] // 2, size[1]))  # left half blue, to see where it ends up
    return encode(img, "JPEG", exif=exif, comment=b"taken at home", icc_profile=b"\0" * 16)


def reopen(path):
    img = Image.open(path)
    img.load()
    return img


@pytest.fixture
def store(tmp_path):
    return PhotoStore(tmp_path / "media")


def test_max_photos():
    assert MAX_PHOTOS == 3


def test_gps_exif_is_stripped_and_orientation_applied(store):
    data = jpeg_with_gps()
    with Image.open(io.BytesIO(data)) as original:  # the fixture really carries what we want gone
        assert original.getexif()[MAKE] == "Samsung"
        assert original.getexif().get_ifd(GPS_IFD)[1] == "S"

    stored = store.save(CASE, data, "IMG_0001.jpg")

    path = store.path(CASE, stored.photo_id)
    assert path is not None
    img = reopen(path)
    assert img.format == "JPEG" and img.mode == "RGB"
    assert (img.width, img.height) == (100, 200) == (stored.width, stored.height)
    assert len(img.getexif()) == 0
    assert img.getexif().get_ifd(GPS_IFD) == {}
    for key in ("exif", "icc_profile", "comment", "xmp"):
        assert key not in img.info
    raw = path.read_bytes()
    assert b"Exif" not in raw and b"Samsung" not in raw and b"taken at home" not in raw
    assert stored.size_bytes == len(raw)
    # Orientation 6 means "rotate 90 degrees clockwise to view": the blue left half ends up on top.
    assert img.getpixel((50, 20))[2] > 150
    assert img.getpixel((50, 180))[0] > 150


def test_stored_file_layout_and_modes(store, tmp_path):
    stored = store.save(CASE, jpeg_with_gps())
    path = tmp_path / "media" / CASE / f"{stored.photo_id}.jpg"
    assert store.path(CASE, stored.photo_id) == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    for folder in (path.parent, path.parent.parent):
        assert stat.S_IMODE(folder.stat().st_mode) & 0o027 == 0
    assert sorted(os.listdir(path.parent)) == [path.name]  # no temp file left behind


def test_png_with_transparency_is_flattened_on_white(store):
    img = Image.new("RGBA", (60, 40), (0, 0, 0, 0))
    img.paste((0, 128, 0, 255), (0, 0, 30, 40))
    stored = store.save(CASE, encode(img, "PNG"), "screenshot.png")
    out = reopen(store.path(CASE, stored.photo_id))
    assert (out.format, out.mode, out.size) == ("JPEG", "RGB", (60, 40))
    assert min(out.getpixel((50, 20))) > 240  # transparent became white, not black
    assert out.getpixel((10, 20))[1] > 100 and out.getpixel((10, 20))[0] < 40


def test_palette_png_with_transparent_index(store):
    img = Image.new("P", (20, 20), 0)
    img.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    img.paste(1, (0, 0, 10, 20))
    stored = store.save(CASE, encode(img, "PNG", transparency=1))
    out = reopen(store.path(CASE, stored.photo_id))
    assert out.mode == "RGB"
    assert min(out.getpixel((3, 10))) > 240
    assert out.getpixel((15, 10))[0] > 200


def test_16_bit_grey_png_keeps_its_tones(store):
    stored = store.save(CASE, encode(Image.new("I;16", (8, 8), 32768), "PNG"))
    assert 120 <= reopen(store.path(CASE, stored.photo_id)).getpixel((4, 4))[0] <= 136


def test_webp_is_accepted_and_stored_as_jpeg(store):
    stored = store.save(CASE, encode(Image.new("RGB", (64, 48), (10, 120, 200)), "WEBP"), "photo.webp")
    out = reopen(store.path(CASE, stored.photo_id))
    assert (out.format, out.mode, out.size) == ("JPEG", "RGB", (64, 48))


def test_text_named_like_a_jpeg_is_refused_naming_the_file(store, tmp_path):
    with pytest.raises(PhotoRejected) as exc:
        store.save(CASE, b"this is not a picture at all\n", "photo.jpg")
    message = str(exc.value)
    assert message.startswith('Berkas "photo.jpg" bukan gambar JPEG, PNG atau WebP.')
    assert message.endswith('"photo.jpg" is not a JPEG, PNG or WebP image.')
    assert not (tmp_path / "media" / CASE).exists()


def test_message_without_a_filename_and_hostile_filenames(store):
    with pytest.raises(PhotoRejected, match="^Berkas ini kosong. / This file is empty.$"):
        store.save(CASE, b"")
    with pytest.raises(PhotoRejected) as exc:
        store.save(CASE, b"nope", "C:\\Users\\x\\evil\n\x00name.jpg")
    assert '"evilname.jpg"' in str(exc.value) and "\n" not in str(exc.value)


@pytest.mark.parametrize(
    "data, words",
    [
        (b"", "kosong"),
        (encode(Image.new("RGB", (10, 10)), "GIF"), "bukan gambar"),
        (encode(Image.new("RGB", (10, 10)), "BMP"), "bukan gambar"),
        (jpeg_with_gps()[:1100], "rusak"),  # cut inside the image data (which starts at ~850)
        (encode(Image.new("RGB", (300, 300), (1, 2, 3)), "PNG")[:-40], "rusak"),
    ],
    ids=["empty", "gif", "bmp", "truncated-jpeg", "truncated-png"],
)
def test_refused_content(store, data, words, tmp_path):
    with pytest.raises(PhotoRejected, match=words):
        store.save(CASE, data, "upload.jpg")
    assert not (tmp_path / "media" / CASE).exists()


def test_over_max_bytes_is_refused_before_decoding(tmp_path, monkeypatch):
    data = jpeg_with_gps()
    small = PhotoStore(tmp_path, max_bytes=len(data) - 1)
    monkeypatch.setattr(Image, "open", lambda *a, **k: pytest.fail("opened an oversized upload"))
    with pytest.raises(PhotoRejected, match="terlalu besar .* too large"):
        small.save(CASE, data, "big.jpg")
    assert PhotoStore(tmp_path, max_bytes=len(data)).max_bytes == len(data)


def bomb_png(side: int) -> bytes:
    # A 1-bit image of one colour compresses to almost nothing, however large its header says it is.
    return encode(Image.new("1", (side, side), 0), "PNG", optimize=True)


@pytest.fixture
def no_decoding(monkeypatch):
    def refuse(self, *args, **kwargs):
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)


def test_decompression_bomb_is_refused_without_decoding(store, no_decoding):
    data = bomb_png(20_000)  # 400 Mpx, beyond Pillow's own hard limit
    assert len(data) < 100_000
    with pytest.raises(PhotoRejected, match="megapiksel"):
        store.save(CASE, data, "bomb.png")


def test_image_over_max_pixels_is_refused_from_its_header(store, no_decoding):
    data = bomb_png(8_000)  # 64 Mpx: under Pillow's limit, over ours (40 Mpx)
    with pytest.raises(PhotoRejected, match="terlalu besar resolusinya .* too many pixels"):
        store.save(CASE, data, "bomb.png")


def test_pillow_bomb_warning_becomes_a_rejection(tmp_path, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    lenient = PhotoStore(tmp_path, max_pixels=10**9)
    data = encode(Image.new("RGB", (40, 40)), "PNG")  # 1600 px: Pillow warns, does not raise
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with pytest.raises(PhotoRejected, match="megapiksel"):
            lenient.save(CASE, data)
    with pytest.raises(PhotoRejected, match="megapiksel"):
        lenient.save(CASE, encode(Image.new("RGB", (50, 50)), "PNG"))  # 2500 px: Pillow raises


def test_large_image_is_shrunk_to_max_side(tmp_path):
    store = PhotoStore(tmp_path, max_side=512)
    stored = store.save(CASE, encode(Image.new("RGB", (3000, 1500), (90, 90, 90)), "JPEG"))
    assert (stored.width, stored.height) == (512, 256)
    assert reopen(store.path(CASE, stored.photo_id)).size == (512, 256)
    tall = store.save(CASE, encode(Image.new("RGB", (600, 1800), (90, 90, 90)), "PNG"))
    assert (tall.width, tall.height) == (171, 512)


def test_small_image_is_not_enlarged(tmp_path):
    stored = PhotoStore(tmp_path, max_side=512).save(CASE, encode(Image.new("RGB", (30, 20)), "PNG"))
    assert (stored.width, stored.height) == (30, 20)


def test_same_bytes_same_id_and_one_file(store, tmp_path):
    data = jpeg_with_gps()
    first = store.save(CASE, data, "a.jpg")
    path = store.path(CASE, first.photo_id)
    before = path.stat().st_mtime_ns
    second = store.save(CASE, data, "renamed.jpg")
    assert isinstance(first, StoredPhoto) and first == second
    assert len(first.photo_id) == 32 and first.photo_id == first.photo_id.lower()
    assert os.listdir(tmp_path / "media" / CASE) == [f"{first.photo_id}.jpg"]
    assert path.stat().st_mtime_ns == before  # not rewritten
    other = store.save(CASE, data + b"\0", "a.jpg")  # one byte more is another upload
    assert other.photo_id != first.photo_id
    assert len(os.listdir(tmp_path / "media" / CASE)) == 2


def test_path_finds_stored_photos_only(store):
    stored = store.save(CASE, jpeg_with_gps())
    assert store.path(CASE, stored.photo_id).is_file()
    assert store.path(CASE, "0" * 32) is None
    assert store.path("BKL-AAAAA-BBBBB", stored.photo_id) is None


@pytest.mark.parametrize(
    "case_id, photo_id",
    [
        (CASE, "../../etc/passwd"),
        ("../../etc", "passwd"),
        (CASE, "/etc/passwd"),
        (CASE, "A" * 32),
        (CASE, "a" * 31),
        (CASE, "a" * 33),
        (CASE, "a" * 31 + "\0"),
        (CASE, "a" * 32 + "\n"),
        (CASE, "a" * 32 + ".jpg"),
        (CASE + "\n", "a" * 32),
        ("bkl-7k3m9-q2pxz", "a" * 32),
        ("/tmp", "a" * 32),
        ("", ""),
        (None, "a" * 32),
        (CASE, None),
    ],
)
def test_path_rejects_malformed_and_traversal(store, case_id, photo_id):
    assert store.path(case_id, photo_id) is None


@pytest.mark.parametrize("case_id", ["../BKL-7K3M9-Q2PXZ", "BKL-7K3M9-Q2PXZ/..", "bkl-7k3m9-q2pxz", "", "/etc"])
def test_save_refuses_malformed_case_id(store, case_id, tmp_path):
    with pytest.raises(ValueError):
        store.save(case_id, jpeg_with_gps())
    assert not (tmp_path / "media").exists()
