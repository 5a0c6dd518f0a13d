"""All HTTP API routers under /api/v1."""

from fastapi import APIRouter

api_router = APIRouter()
