"""Every error the project raises on purpose has one root that carries the user's message."""
import importlib
import inspect
import pkgutil

import pytest

import sheets_sync
import workbook_addin
from workbook_addin.core.cells import CellError, parse_number
from workbook_addin.core.errors import LianxingError
from workbook_addin.core.keys import creator_key

#: Standalone on purpose: the xlwings Lite loader runs before the package can be imported.
STANDALONE = {"workbook_addin.lite.loader.BundleError"}


def _product_modules():
    for package in (workbook_addin, sheets_sync):
        yield package.__name__
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            yield info.name


def _error_classes():
    found = {}
    for name in _product_modules():
        try:
            module = importlib.import_module(name)
        except ImportError:  # xlwings-only or LibreOffice-only modules on this machine
            continue
        for obj in vars(module).values():
            if inspect.isclass(obj) and issubclass(obj, Exception) and not issubclass(obj, Warning) \
                    and obj.__module__ == name:
                found[f"{name}.{obj.__qualname__}"] = obj
    return found


def test_every_project_error_is_a_lianxing_error():
    classes = _error_classes()
    assert len(classes) >= 10
    strays = sorted(name for name, cls in classes.items()
                    if not issubclass(cls, LianxingError) and name not in STANDALONE)
    assert strays == []


def test_the_message_is_what_the_user_reads_and_builtin_bases_still_catch():
    with pytest.raises(ValueError) as caught:  # callers that catch ValueError keep working
        parse_number("abc")
    assert isinstance(caught.value, CellError) and isinstance(caught.value, LianxingError)
    assert caught.value.message == str(caught.value) == "is not a number"
    with pytest.raises(LianxingError) as caught:
        creator_key("TikTok", "")
    assert caught.value.message and caught.value.message == str(caught.value)


def test_the_cli_shows_any_lianxing_error_as_a_message_with_exit_2(capsys, tmp_path):
    """A LibreOffice failure used to escape ``lianxing render`` as a RuntimeError traceback naming a
    temporary copy; every command now ends in one line naming the user's file."""
    from workbook_addin.cli import main

    missing = tmp_path / "nope.xlsm"
    assert main(["render", str(missing), "--out", str(tmp_path / "png")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and str(missing) in err and err.startswith("错误 error:")

    broken = tmp_path / "broken.xlsm"
    broken.write_text("not a workbook")
    assert main(["render", str(broken), "--out", str(tmp_path / "png")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "broken.xlsm" in err and "copy.xlsm" not in err
