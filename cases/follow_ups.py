"""The cases the platform opens by itself (DESIGN §11): a request escalated to the office is
a stalled matter, a service the resident disputed is a dispute. Pure: one dispatch event in,
the commands for the cases owner out, each named after its cause, so a relayed event opens
its case once."""

from __future__ import annotations

from uuid import NAMESPACE_URL, uuid5

from schemas import cases as c
from schemas import events as ev
from schemas.base import SYSTEM, Command, Event

STALLED = {"no_eligible_team": "没有能接单的服务队", "too_many_refusals": "多次被拒单",
           "all_teams_busy": "服务队都在忙，等待超时"}


def case_id_for(county: str, kind: str, cause: str) -> str:
    """One case per cause and kind: `C<county>-<16 hex>` as every case is named."""
    return f"C{county}-{uuid5(NAMESPACE_URL, f'case:{kind}:{cause}').hex[:16]}"


def cases_for(event: Event) -> list[Command]:
    if isinstance(event, ev.RequestEscalated) and event.area is not None:
        return [_open(event, "stalled", event.area, event.resident_id,
                      f"需求转中心处理：{STALLED[event.reason]}",
                      f"需求 {event.request_id} 第 {event.refusals} 次被拒后转中心处理"
                      if event.refusals else f"需求 {event.request_id} 转中心处理")]
    if (isinstance(event, ev.ServiceConfirmed) and event.dispute_reason
            and event.area is not None):
        return [_open(event, "dispute", event.area, event.resident_id,
                      "居民对服务时长有异议", event.dispute_reason[:2000])]
    return []


def _open(event: ev.RequestEvent, kind: c.CaseKind, area: str, resident_id: str | None,
          subject: str, details: str) -> Command:
    command_id = uuid5(event.event_id, f"case:{kind}")
    return c.OpenCase(
        command_id=command_id, occurred_at=event.occurred_at,
        correlation_id=event.correlation_id, causation_id=event.event_id, actor=SYSTEM,
        county=event.county, case_id=case_id_for(event.county, kind, event.request_id), area=area,
        kind=kind, subject=subject, details=details, resident_id=resident_id,
        request_id=event.request_id)
