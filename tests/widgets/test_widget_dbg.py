import json, pytest
from g4f_jupyter.service.shares import save_share

@pytest.mark.asyncio
async def test_x(jp_fetch):
    save_share("abc", {"items": [{"role":"user","content":"x"}], "updated": 5})
    r = await jp_fetch("backend-api", "v2", "chat", "abc")
    print(r.body)
