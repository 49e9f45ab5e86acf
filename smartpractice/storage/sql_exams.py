"""`ExamStore` on SQLAlchemy: exam blueprints, the bank of their chapters and topics, mock
papers and their answers."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from smartpractice.services.ports import ExamBankItem, StoredExam, StoredPaper
from smartpractice.storage.models import Exam, Item, ItemSkill, MockPaper

__all__ = ["SqlExamStore"]


def _stored_exam(row: Exam) -> StoredExam:
    return StoredExam(
        exam_id=row.exam_id,
        name=row.name,
        exam_date=row.exam_date,
        duration_minutes=row.duration_minutes,
        blueprint=dict(row.blueprint),
    )


def _stored_paper(row: MockPaper) -> StoredPaper:
    return StoredPaper(
        paper_id=row.paper_id,
        student_id=row.student_id,
        exam_id=row.exam_id,
        seed=row.seed,
        item_ids=list(row.item_ids),
        paper=dict(row.paper),
        answers={str(k): bool(v) for k, v in dict(row.answers).items()},
        created_at=row.created_at,
    )


class SqlExamStore:
    """`ExamStore` on a session (the caller owns the transaction)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def save_exams(self, exams: Sequence[StoredExam]) -> None:
        for exam in exams:
            self.session.merge(
                Exam(
                    exam_id=exam.exam_id,
                    name=exam.name,
                    exam_date=exam.exam_date,
                    duration_minutes=exam.duration_minutes,
                    blueprint=exam.blueprint,
                )
            )
        self.session.flush()

    def exams(self) -> list[StoredExam]:
        rows = self.session.scalars(select(Exam).order_by(Exam.exam_date, Exam.exam_id))
        return [_stored_exam(row) for row in rows]

    def exam(self, exam_id: str) -> StoredExam | None:
        row = self.session.get(Exam, exam_id)
        return _stored_exam(row) if row is not None else None

    def place_names(self) -> set[str]:
        chapters = self.session.scalars(select(Item.chapter).distinct())
        topics = self.session.scalars(select(Item.topic).distinct())
        return set(chapters) | set(topics)

    def bank(self, places: Collection[str]) -> list[ExamBankItem]:
        if not places:
            return []
        wanted = sorted(places)
        rows = self.session.execute(
            select(
                Item.item_id,
                Item.chapter,
                Item.topic,
                Item.source,
                Item.exam,
                Item.expected_time_seconds,
                ItemSkill.skill_id,
                ItemSkill.difficulty,
            )
            .join(ItemSkill, ItemSkill.item_id == Item.item_id)
            .where(or_(Item.chapter.in_(wanted), Item.topic.in_(wanted)))
            .order_by(Item.item_id, ItemSkill.skill_id)
        ).all()
        found: dict[str, ExamBankItem] = {}
        for item_id, chapter, topic, source, exam, seconds, skill_id, difficulty in rows:
            item = found.get(item_id)
            if item is None:
                item = found[item_id] = ExamBankItem(
                    item_id=item_id,
                    chapter=chapter,
                    topic=topic,
                    source=source,
                    exam=exam,
                    expected_time_seconds=seconds,
                    difficulties={},
                )
            item.difficulties[skill_id] = difficulty
        return list(found.values())

    def save_paper(self, paper: StoredPaper) -> None:
        self.session.add(
            MockPaper(
                paper_id=paper.paper_id,
                student_id=paper.student_id,
                exam_id=paper.exam_id,
                seed=paper.seed,
                item_ids=list(paper.item_ids),
                paper=paper.paper,
                answers=dict(paper.answers),
                created_at=paper.created_at,
            )
        )
        self.session.flush()

    def paper(self, paper_id: str) -> StoredPaper | None:
        row = self.session.get(MockPaper, paper_id)
        return _stored_paper(row) if row is not None else None

    def record_answers(self, paper_id: str, answers: Mapping[str, bool]) -> None:
        row = self.session.scalars(
            select(MockPaper).where(MockPaper.paper_id == paper_id).with_for_update()
        ).one()
        # A new dict: the JSON column sees an assignment, not an in-place change.
        row.answers = {**dict(row.answers), **answers}
        self.session.flush()
