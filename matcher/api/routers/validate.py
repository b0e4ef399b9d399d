"""POST /v1/validate: a plan checked against SPEC's rules."""

from __future__ import annotations

from fastapi import APIRouter

from matcher.api import limits
from matcher.api.deps import OrgDep, SettingsDep
from matcher.api.responses import ERRORS
from matcher.api.schemas import ValidateRequest, ValidateResponse, ViolationOut
from matcher.validate import validate

router = APIRouter(tags=["validate"])


@router.post("/validate", response_model=ValidateResponse, responses=ERRORS,
             summary="Check a plan against SPEC's rules")
def validate_plan(body: ValidateRequest, settings: SettingsDep, _org: OrgDep) -> ValidateResponse:
    """Every broken rule, with its SPEC rule number (0: a wrong objective or bound value)."""
    limits.check_entities(body.problem, settings)
    violations = validate(body.problem, body.plan)
    return ValidateResponse(
        valid=not violations,
        violations=[ViolationOut(rule=v.rule, message=v.message, ids=list(v.ids))
                    for v in violations],
    )
