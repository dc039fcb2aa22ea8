"""``psconfig plugin``: the PowerSchool plugin that lets ``drift --via api`` read.

A plugin is a zip with ``plugin.xml`` at its root (no folder above it). Ours
enables OAuth (``<oauth/>``: PowerSchool then issues a client ID and secret on the
plugin's Data Configuration page) and asks for read-only (``ViewOnly``) access to
exactly the columns in ``fields.GRANTS``. PowerSchool validates the element order:
``oauth``, ``access_request``, then ``publisher``.
"""

from __future__ import annotations

import io
import zipfile
from xml.etree import ElementTree as ET

from psconfig import __version__
from psconfig.drivers.api.fields import GRANTS

NAMESPACE = "http://plugin.powerschool.pearson.com"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
PLUGIN_NAME = "psconfig read-only drift"
_ZIP_TIME = (2020, 1, 1, 0, 0, 0)
"""A fixed timestamp, so the same psconfig always builds the same zip, byte for byte."""


def plugin_version() -> str:
    """The plugin's version: digits and dots only, as PowerSchool requires."""
    digits = [part for part in __version__.split(".") if part.isdigit()]
    return ".".join(digits) or "1.0"


def plugin_xml() -> str:
    """The ``plugin.xml`` document."""
    ET.register_namespace("", NAMESPACE)
    ET.register_namespace("xsi", XSI)
    root = ET.Element(
        f"{{{NAMESPACE}}}plugin",
        {
            f"{{{XSI}}}schemaLocation": f"{NAMESPACE} plugin.xsd",
            "name": PLUGIN_NAME,
            "version": plugin_version(),
            "description": "Lets psconfig check the Clever sync account for drift "
            "without an administrator password: read-only access to the USERS and "
            "SCHOOLSTAFF columns of its admin sign-in settings.",
        },
    )
    ET.SubElement(root, f"{{{NAMESPACE}}}oauth")
    access = ET.SubElement(root, f"{{{NAMESPACE}}}access_request")
    for table, fields in GRANTS.items():
        for field in fields:
            ET.SubElement(
                access,
                f"{{{NAMESPACE}}}field",
                {"table": table.upper(), "field": field.upper(), "access": "ViewOnly"},
            )
    publisher = ET.SubElement(root, f"{{{NAMESPACE}}}publisher", {"name": "psconfig"})
    ET.SubElement(
        publisher, f"{{{NAMESPACE}}}contact", {"email": "psconfig@invalid.example"}
    )
    ET.indent(root, space="    ")
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + body + "\n"


def plugin_zip() -> bytes:
    """The installable package: ``plugin.xml`` at the root of a zip."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo("plugin.xml", date_time=_ZIP_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, plugin_xml())
    return buffer.getvalue()
