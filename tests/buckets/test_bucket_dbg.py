import pytest, asyncio
from tornado.httpclient import AsyncHTTPClient
@pytest.mark.asyncio
async def test_x(jp_serverapp, http_server_client, jp_http_port, jp_base_url, jp_auth_header):
    r = await AsyncHTTPClient().fetch(f"http://127.0.0.1:{jp_http_port}{jp_base_url}api/status", headers=jp_auth_header, request_timeout=5, raise_error=False)
    print("STATUS", r.code, r.body[:100])
