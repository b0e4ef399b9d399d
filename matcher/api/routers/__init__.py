"""One router per resource, collected in `api_router`."""

from fastapi import APIRouter

from matcher.api.routers import jobs, recommend, sheets, solve, validate

api_router = APIRouter(prefix="/v1")
api_router.include_router(solve.router)
api_router.include_router(jobs.router)
api_router.include_router(validate.router)
api_router.include_router(recommend.router)
api_router.include_router(sheets.router)
