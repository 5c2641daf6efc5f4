import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from registry.uploads import generated_name, validate_upload


def test_it_accepts_a_png_and_a_jpeg_by_their_content():
    png = SimpleUploadedFile("x.txt", b"\x89PNG\r\n\x1a\n rest")
    jpeg = SimpleUploadedFile("x", b"\xff\xd8\xff\xe0 rest")
    assert validate_upload(png, kinds=("png", "jpeg"), max_bytes=100) == ".png"
    assert validate_upload(jpeg, kinds=("png", "jpeg"), max_bytes=100) == ".jpg"


def test_it_refuses_a_file_whose_name_lies():
    fake = SimpleUploadedFile("screenshot.png", b"<html><script>alert(1)</script>")
    with pytest.raises(ValidationError) as refused:
        validate_upload(fake, kinds=("png", "jpeg"), max_bytes=1000)
    assert refused.value.code == "wrong_kind"


def test_it_refuses_an_empty_or_too_large_file():
    with pytest.raises(ValidationError) as empty:
        validate_upload(SimpleUploadedFile("a.png", b""), kinds=("png",), max_bytes=10)
    with pytest.raises(ValidationError) as large:
        validate_upload(
            SimpleUploadedFile("a.png", b"\x89PNG" + b"0" * 20), kinds=("png",), max_bytes=10
        )
    assert (empty.value.code, large.value.code) == ("empty", "too_large")


def test_it_names_stored_files_itself():
    first, second = generated_name("evidence", ".png"), generated_name("evidence", ".png")
    assert first != second
    assert first.startswith("evidence/") and first.endswith(".png")
