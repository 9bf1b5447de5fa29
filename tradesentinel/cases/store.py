"""Cases: open one on a flow or a corridor, change it, note it, attach flows; every change is written
to the case's audit log with who made it. A case pins the scores and data versions it was opened on."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from tradesentinel.cases.db import Database
from tradesentinel.cases.models import CaseFlowRow, CaseRow, EventRow, NoteRow, now
from tradesentinel.cases.types import (
    AuditEvent,
    Case,
    CaseChange,
    CaseFlow,
    CaseOpen,
    CaseSummary,
    Note,
)
from tradesentinel.errors import InvalidArgumentError, NotFoundError, echo
from tradesentinel.investigate.anomalies import record
from tradesentinel.investigate.tables import TableStore, table_versions
from tradesentinel.reference import valid_iso3

log = logging.getLogger(__name__)


def _tags(tags: list[str]) -> list[str]:
    """Tags trimmed, lower-cased, without repeats, in the order given."""
    seen: dict[str, None] = {}
    for tag in tags:
        clean = tag.strip().lower()
        if clean:
            seen[clean] = None
    return list(seen)


def _country(field: str, code: str | None) -> str | None:
    if code is None:
        return None
    code = code.strip().upper()
    if code not in valid_iso3():
        raise InvalidArgumentError(field, f"unknown country code {echo(code)}")
    return code


def _summary(row: CaseRow) -> CaseSummary:
    return CaseSummary.model_validate(row, from_attributes=True)


class CaseStore:
    """The cases of one database, with the anomaly tables to check and pin the flows they name."""

    def __init__(self, db: Database, tables: TableStore):
        self.db = db
        self.tables = tables

    def open(self, new: CaseOpen, actor: str) -> Case:
        """A new case (on new.flow_id's corridor, or on reporter-partner), pinned to today's versions."""
        subject: dict[str, Any] = {}
        if new.flow_id:
            row = record(self.tables.snapshot(), new.flow_id)
            subject = {k: row[k] for k in ("reporter", "partner", "flow", "hs_code")}
        elif new.reporter and new.partner:
            subject = {
                "reporter": _country("reporter", new.reporter),
                "partner": _country("partner", new.partner),
                "flow": new.flow,
                "hs_code": new.hs_code,
            }
        else:
            raise InvalidArgumentError("flow_id", "open a case on a flow_id, or on a reporter and a partner")
        versions = table_versions(self.tables.settings)
        with self.db.session() as session:
            case = CaseRow(
                title=new.title.strip(),
                assignee=new.assignee or None,
                tags=_tags(new.tags),
                scores_version=versions.get("scores"),
                data_versions=versions,
                created_by=actor,
                **subject,
            )
            session.add(case)
            session.flush()
            session.add(EventRow(case_id=case.id, actor=actor, action="open", detail={"title": case.title}))
            if new.flow_id:
                session.add(CaseFlowRow(case_id=case.id, flow_id=new.flow_id, added_by=actor))
            if new.note:
                session.add(NoteRow(case_id=case.id, author=actor, text=new.note))
            case_id = case.id
        return self.get(case_id)

    def _row(self, session, case_id: int) -> CaseRow:
        row = session.get(CaseRow, case_id)
        if row is None:
            raise NotFoundError(f"no case {case_id}")
        return row

    def get(self, case_id: int) -> Case:
        """The whole case; NotFoundError for an unknown id."""
        with self.db.session() as session:
            row = self._row(session, case_id)
            flows = session.scalars(
                select(CaseFlowRow).where(CaseFlowRow.case_id == case_id).order_by(CaseFlowRow.added_at)
            ).all()
            notes = session.scalars(
                select(NoteRow).where(NoteRow.case_id == case_id).order_by(NoteRow.id)
            ).all()
            events = session.scalars(
                select(EventRow).where(EventRow.case_id == case_id).order_by(EventRow.id)
            ).all()
            return Case(
                **_summary(row).model_dump(),
                scores_version=row.scores_version,
                data_versions=row.data_versions or {},
                flows=[CaseFlow.model_validate(f, from_attributes=True) for f in flows],
                notes=[Note.model_validate(n, from_attributes=True) for n in notes],
                audit=[AuditEvent.model_validate(e, from_attributes=True) for e in events],
            )

    def list(
        self,
        *,
        status: str | None = None,
        assignee: str | None = None,
        flow_id: str | None = None,
        limit: int = 200,
    ) -> list[CaseSummary]:
        """Cases, most recently changed first, optionally only one status, assignee or attached flow."""
        query = select(CaseRow).order_by(CaseRow.updated_at.desc(), CaseRow.id.desc()).limit(limit)
        if status:
            query = query.where(CaseRow.status == status)
        if assignee:
            query = query.where(CaseRow.assignee == assignee)
        if flow_id:
            query = query.where(
                CaseRow.id.in_(select(CaseFlowRow.case_id).where(CaseFlowRow.flow_id == flow_id))
            )
        with self.db.session() as session:
            return [_summary(r) for r in session.scalars(query).all()]

    def change(self, case_id: int, change: CaseChange, actor: str) -> Case:
        """Apply the given fields; one audit line per field that really changed."""
        fields = change.model_dump(exclude_unset=True)
        if "tags" in fields and fields["tags"] is not None:
            fields["tags"] = _tags(fields["tags"])
        with self.db.session() as session:
            row = self._row(session, case_id)
            for field, new in fields.items():
                old = getattr(row, field)
                if field in ("title", "status") and new is None:
                    raise InvalidArgumentError(field, "cannot be empty")
                if old != new:
                    setattr(row, field, new)
                    session.add(
                        EventRow(
                            case_id=case_id,
                            actor=actor,
                            action="change",
                            detail={"field": field, "old": old, "new": new},
                        )
                    )
                    row.updated_at = now()
        return self.get(case_id)

    def note(self, case_id: int, text: str, actor: str) -> Case:
        """Add a note (the audit log says who added it)."""
        with self.db.session() as session:
            row = self._row(session, case_id)
            note = NoteRow(case_id=case_id, author=actor, text=text)
            session.add(note)
            session.flush()
            session.add(EventRow(case_id=case_id, actor=actor, action="note", detail={"note_id": note.id}))
            row.updated_at = now()
        return self.get(case_id)

    def attach(self, case_id: int, flow_id: str, actor: str) -> Case:
        """Attach a scored flow (NotFoundError for an unknown one); attaching it twice changes nothing."""
        record(self.tables.snapshot(), flow_id)
        with self.db.session() as session:
            row = self._row(session, case_id)
            if session.get(CaseFlowRow, (case_id, flow_id)) is None:
                session.add(CaseFlowRow(case_id=case_id, flow_id=flow_id, added_by=actor))
                session.add(
                    EventRow(case_id=case_id, actor=actor, action="attach", detail={"flow_id": flow_id})
                )
                row.updated_at = now()
        return self.get(case_id)

    def detach(self, case_id: int, flow_id: str, actor: str) -> Case:
        """Detach a flow (NotFoundError when it is not attached)."""
        with self.db.session() as session:
            row = self._row(session, case_id)
            link = session.get(CaseFlowRow, (case_id, flow_id))
            if link is None:
                raise NotFoundError(f"flow {echo(flow_id)} is not attached to case {case_id}")
            session.delete(link)
            session.add(EventRow(case_id=case_id, actor=actor, action="detach", detail={"flow_id": flow_id}))
            row.updated_at = now()
        return self.get(case_id)

    def delete(self, case_id: int, actor: str) -> None:
        """Delete a case with its notes and log (the server log keeps who deleted it)."""
        with self.db.session() as session:
            row = self._row(session, case_id)
            for table in (EventRow, NoteRow, CaseFlowRow):
                for child in session.scalars(select(table).where(table.case_id == case_id)).all():
                    session.delete(child)
            session.delete(row)
        log.warning("case %d deleted by %s", case_id, actor)

    def dispositions(self) -> list[tuple[str, str]]:
        """(flow_id, disposition) of every flow attached to a case that has a disposition."""
        query = (
            select(CaseFlowRow.flow_id, CaseRow.disposition)
            .join(CaseRow, CaseRow.id == CaseFlowRow.case_id)
            .where(CaseRow.disposition.is_not(None))
        )
        with self.db.session() as session:
            return [(r[0], r[1]) for r in session.execute(query).all()]
