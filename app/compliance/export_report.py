"""The printable report of a regulator export: one HTML page (charts as inline SVG), and the same
page as PDF through WeasyPrint with a CJK font, so Chinese names and briefs print as written."""
from __future__ import annotations

from pathlib import Path

from flask import current_app, render_template
from flask_babel import force_locale

from app.compliance.charts import trend_chart
from app.compliance.forms import KYC_LABELS
from app.compliance.services.brands import BrandFile, campaign_proof_counts
from app.compliance.services.export_sections import screening_section
from models import BrandExport

STYLESHEET = "report.css"


def render_html(file: BrandFile, export: BrandExport, manifest: dict) -> str:
    """The report in the language the export was asked in (a job has no request of its own)."""
    with current_app.test_request_context("/"), force_locale(export.locale):
        findings = [row for row in screening_section(file).rows if row[7]]
        return render_template("compliance/exports/report.html", file=file, export=export, manifest=manifest,
                               chart=trend_chart(file.trend), kyc_labels=KYC_LABELS, findings=findings,
                               proof_counts=campaign_proof_counts(file.brand.id))


def html_to_pdf(html: str) -> bytes:
    from weasyprint import CSS, HTML  # imported here: loading Pango costs a page view nothing

    css = Path(current_app.static_folder) / STYLESHEET
    return HTML(string=html, base_url=str(css.parent)).write_pdf(stylesheets=[CSS(filename=str(css))])


def render(file: BrandFile, export: BrandExport, manifest: dict) -> tuple[str, bytes]:
    html = render_html(file, export, manifest)
    return html, html_to_pdf(html)
