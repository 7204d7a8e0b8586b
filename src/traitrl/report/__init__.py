"""The study report: report.html (plots first, self-contained), report.json (schema'd), report.md."""

from traitrl.report.build import build_sections, write_report
from traitrl.report.registry import SectionSpec, register_section
from traitrl.report.sections import (
    AttackFamilyASR,
    ErosionCurve,
    ErosionPoint,
    FigureInfo,
    MethodCell,
    MethodComparison,
    MethodRow,
    PersistenceSection,
    PressureDrop,
    ReportDocument,
    ReportSections,
    SelectivePersistence,
    report_schema,
)

__all__ = [
    "AttackFamilyASR", "ErosionCurve", "ErosionPoint", "FigureInfo", "MethodCell", "MethodComparison", "MethodRow",
    "PersistenceSection", "PressureDrop", "ReportDocument", "ReportSections", "SectionSpec", "SelectivePersistence",
    "build_sections", "register_section", "report_schema", "write_report",
]
