"""schemathesis against the real server: requests generated from the API's
own OpenAPI document (valid and invalid ones), every answer checked against
that document (status codes, content types, headers, body schemas, no server
error, invalid data refused)."""

import pytest
import schemathesis
from apie2e import make_api_key

RATE_PARAM = "live_messaging.api_rate_limit"
JOIN_RATE_PARAM = "live_messaging.support_join_rate_limit"
PUBLIC_RATE_PARAM = "live_messaging.public_rate_limit"


@pytest.fixture(scope="module")
def api_schema(server, admin, e2e_users):
    key = make_api_key(server, e2e_users["ana"][1]).key
    # hundreds of requests in a few seconds: lift the rate limit meanwhile
    previous = {
        param: server.call(admin, "ir.config_parameter", "get_param", param)
        for param in (RATE_PARAM, JOIN_RATE_PARAM, PUBLIC_RATE_PARAM)
    }
    for param in previous:
        server.call(admin, "ir.config_parameter", "set_param", param, "0")
    config = schemathesis.Config.from_dict(
        {
            "headers": {"Authorization": f"Bearer {key}"},
            "generation": {"max-examples": 12, "deterministic": True},
            "checks": {
                # schema-valid requests may still be refused by rules a JSON
                # Schema cannot say (unknown user ids: 422; before and after
                # together: 400); anything else must be accepted
                "positive_data_acceptance": {
                    "expected-statuses": [
                        "2xx",
                        "400",
                        "401",
                        "403",
                        "404",
                        "409",
                        "422",
                    ]
                },
                # an invalid request may also be refused for its size
                "negative_data_rejection": {
                    "expected-statuses": [
                        "400",
                        "401",
                        "403",
                        "404",
                        "405",
                        "409",
                        "413",
                        "415",
                        "422",
                    ]
                },
            },
        }
    )
    yield schemathesis.openapi.from_url(
        f"{server.url}/live/api/v1/openapi.json", config=config, timeout=30
    )
    for param, value in previous.items():
        server.call(admin, "ir.config_parameter", "set_param", param, value or False)


schema = schemathesis.pytest.from_fixture("api_schema")


# the websocket is a protocol of its own, tested by the client tests
@schema.exclude(path="/websocket").parametrize()
def test_api_conforms_to_its_document(case):
    case.call_and_validate(timeout=30)
