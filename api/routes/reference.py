"""The codes a form or a client needs: categories, regencies and their districts."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import JurisdictionDep
from api.schemas import CategoryPublic, DistrictPublic, RegencyPublic

router = APIRouter(prefix="/api/v1", tags=["reference"])


@router.get("/categories", response_model=list[CategoryPublic])
async def categories(jurisdiction: JurisdictionDep) -> list[CategoryPublic]:
    return [CategoryPublic.model_validate(c.model_dump()) for c in jurisdiction.categories]


@router.get("/regions", response_model=list[RegencyPublic])
async def regions(jurisdiction: JurisdictionDep) -> list[RegencyPublic]:
    return [
        RegencyPublic(code=r.code, name=r.name,
                      districts=[DistrictPublic(code=d.code, name=d.name) for d in r.districts])
        for r in jurisdiction.regencies
    ]
