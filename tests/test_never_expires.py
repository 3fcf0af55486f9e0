"""How each provider says "this credential never expires", and the one rule that reads it.

Providers write "never" as a null, a missing field or a far-future date. Every source
reads expiries through ``raw.expiry``, so all of them end up as the model's "never"
(no ``expires_at``) and the never-expires finding (NHI-CRED-001) sees them; a real
expiry, however long, is kept.
"""

from __future__ import annotations

from typing import Any

import pytest

from nhigraph.graph.embedded import EmbeddedStore
from nhigraph.graph.estate import read_estate
from nhigraph.graph.neo4j_store import Neo4jStore
from nhigraph.graph.policy import default_policy
from nhigraph.ingest.raw import RawPage, expiry
from nhigraph.ingest.source import RawInput
from nhigraph.posture.findings import find
from tests.ingest_support import props, transform, write

AS_OF = "2026-11-20T00:00:00Z"


def raw(source: str, tenant: str | None, **endpoints: Any) -> RawInput:
    pages = {
        endpoint: [RawPage(endpoint, f"{endpoint}.json", body)]
        for endpoint, body in endpoints.items()
    }
    return RawInput(source, tenant, pages)


# --------------------------------------------------------------------------- the rule


@pytest.mark.parametrize(
    ("expires_at", "created_at", "kept"),
    [
        (None, None, None),
        ("2299-12-31T00:00:00Z", None, None),
        ("9999-12-31T23:59:59Z", "2020-01-01T00:00:00Z", None),
        ("2119-03-10T09:00:00Z", "2020-03-10T09:00:00Z", None),  # the portal's 99 years
        ("2119-03-09T12:00:00Z", "2020-03-10T09:00:00Z", None),  # a day of clock slack
        ("2118-03-10T09:00:00Z", "2020-03-10T09:00:00Z", "2118-03-10T09:00:00Z"),  # 98 years
        ("2119-03-10T09:00:00Z", None, "2119-03-10T09:00:00Z"),  # long, creation unknown
        ("2298-12-31T00:00:00Z", None, "2298-12-31T00:00:00Z"),
        ("2027-03-01T00:00:00Z", "2024-02-29T00:00:00Z", "2027-03-01T00:00:00Z"),
        ("2123-02-28T00:00:00Z", "2024-02-29T00:00:00Z", None),  # 99 years from 29 February
    ],
)
def test_far_future_expiries_mean_never(
    expires_at: str | None, created_at: str | None, kept: str | None
) -> None:
    assert expiry(expires_at, created_at) == kept


# --------------------------------------------------------------------------- per provider

GRAPH_TENANT = "7b3e9f12-4c8a-4d5e-b1a6-2f9c0e8d4a71"
GRAPH_APP = "3f1c2a9e-5b7d-4e21-9a86-0c4d2e6f8b13"
M365 = f"m365:{GRAPH_TENANT}"


def _password(key_id: str, start: str, end: str | None) -> dict[str, Any]:
    return {
        "customKeyIdentifier": None,
        "displayName": f"secret {key_id[:4]}",
        "endDateTime": end,
        "hint": "Qx7",
        "keyId": key_id,
        "secretText": None,
        "startDateTime": start,
    }


#: An app registration with Microsoft's three ways of writing "never" and one real expiry.
GRAPH = raw(
    "msgraph",
    None,
    organization={"value": [{"id": GRAPH_TENANT, "displayName": "Tailspin Toys"}]},
    applications={
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#applications",
        "value": [
            {
                "id": "9d2f7c1a-0b3e-4f5a-8c6d-1e2f3a4b5c6d",
                "appId": GRAPH_APP,
                "displayName": "Payroll export",
                "createdDateTime": "2019-05-02T10:00:00Z",
                "passwordCredentials": [
                    # Azure CLI: az ad app credential reset --end-date 2299-12-31
                    _password(
                        "0a1b2c3d-0000-4000-8000-000000000001",
                        "2019-05-02T10:00:00Z",
                        "2299-12-31T05:00:00Z",
                    ),
                    # .NET's DateTime.MaxValue
                    _password(
                        "0a1b2c3d-0000-4000-8000-000000000002",
                        "2020-01-15T08:00:00Z",
                        "9999-12-31T23:59:59.9999999Z",
                    ),
                    # the Azure portal's "Never": 99 years after creation
                    _password(
                        "0a1b2c3d-0000-4000-8000-000000000003",
                        "2020-03-10T09:14:02.55Z",
                        "2119-03-10T09:14:02.55Z",
                    ),
                    _password(
                        "0a1b2c3d-0000-4000-8000-000000000004",
                        "2026-01-01T00:00:00Z",
                        "2026-12-31T00:00:00Z",
                    ),
                ],
                "keyCredentials": [
                    {
                        "customKeyIdentifier": "B2E6C1D0",
                        "displayName": "CN=payroll-export",
                        "endDateTime": "2299-12-31T00:00:00Z",
                        "key": None,
                        "keyId": "0a1b2c3d-0000-4000-8000-000000000005",
                        "startDateTime": "2019-05-02T10:00:00Z",
                        "type": "AsymmetricX509Cert",
                        "usage": "Verify",
                    }
                ],
            }
        ],
    },
)


def test_graph_far_future_end_dates_are_no_expiry() -> None:
    result = transform(GRAPH)
    for key in ("01", "02", "03"):
        credential = f"{M365}:secret:0a1b2c3d-0000-4000-8000-0000000000{key}"
        assert "expires_at" not in props(result, credential), key
    assert "expires_at" not in props(result, f"{M365}:cert:0a1b2c3d-0000-4000-8000-000000000005")
    real = props(result, f"{M365}:secret:0a1b2c3d-0000-4000-8000-000000000004")
    assert real["expires_at"] == "2026-12-31T00:00:00Z"


def test_google_key_valid_before_year_9999_is_no_expiry() -> None:
    key = "projects/tailspin-prod/serviceAccounts/etl@tailspin-prod.iam.gserviceaccount.com/keys/"
    result = transform(
        raw(
            "google",
            None,
            serviceAccountKeys={
                "keys": [
                    {
                        "name": key + "8f2b6d0c4e1a3b5c7d9e0f1a2b3c4d5e6f7a8b9c",
                        "validAfterTime": "2023-04-01T10:00:00Z",
                        "validBeforeTime": "9999-12-31T23:59:59Z",
                        "keyAlgorithm": "KEY_ALG_RSA_2048",
                        "keyOrigin": "GOOGLE_PROVIDED",
                        "keyType": "USER_MANAGED",
                    },
                    {
                        "name": key + "1c3e5a7b9d0f2e4a6c8b0d1e3f5a7c9e1b3d5f7a",
                        "validAfterTime": "2026-01-05T10:00:00Z",
                        "validBeforeTime": "2026-04-05T10:00:00Z",
                        "keyAlgorithm": "KEY_ALG_RSA_2048",
                        "keyOrigin": "GOOGLE_PROVIDED",
                        "keyType": "USER_MANAGED",
                    },
                ]
            },
        )
    )
    never = props(result, "gcp:tailspin-prod:key:8f2b6d0c4e1a3b5c7d9e0f1a2b3c4d5e6f7a8b9c")
    assert "expires_at" not in never
    real = props(result, "gcp:tailspin-prod:key:1c3e5a7b9d0f2e4a6c8b0d1e3f5a7c9e1b3d5f7a")
    assert real["expires_at"] == "2026-04-05T10:00:00Z"


def test_github_token_expires_at_null_is_no_expiry() -> None:
    def grant(grant_id: int, expires_at: str | None) -> dict[str, Any]:
        return {
            "id": grant_id,
            "owner": {"login": "dana-ops", "id": 8100001, "type": "User"},
            "repository_selection": "all",
            "repositories_url": f"https://api.github.com/organizations/7100001/personal-access-tokens/{grant_id}/repositories",
            "permissions": {"organization": {}, "repository": {"metadata": "read"}, "other": {}},
            "access_granted_at": "2025-03-01T09:00:00Z",
            "token_id": grant_id + 1000,
            "token_name": f"token {grant_id}",
            "token_expired": False,
            "token_expires_at": expires_at,
            "token_last_used_at": None,
        }

    result = transform(
        raw(
            "github",
            "tailspin",
            personal_access_tokens=[grant(1, None), grant(2, "2026-03-01T09:00:00Z")],
        )
    )
    never = props(result, "github:tailspin:cred:pat:1")
    assert "expires_at" not in never and never["status"] == "active"
    assert props(result, "github:tailspin:cred:pat:2")["expires_at"] == "2026-03-01T09:00:00Z"


def test_okta_api_token_expiry_is_rolling_and_kept() -> None:
    """Okta has no "never" for API tokens: each carries expiresAt, moved 30 days past its
    last use (tokenWindow P30D). The shared rule must keep it."""
    result = transform(
        raw(
            "okta",
            "tailspin.okta.com",
            api_tokens=[
                {
                    "id": "00T1tspTerrafS8n2p7",
                    "name": "Terraform CI",
                    "userId": "00u1tspAdm1nS8n2p7",
                    "clientName": "Okta API",
                    "tokenWindow": "P30D",
                    "created": "2025-09-01T12:00:00.000Z",
                    "expiresAt": "2026-12-20T08:30:00.000Z",
                    "lastUpdated": "2026-11-20T08:30:00.000Z",
                    "network": {"connection": "ANYWHERE"},
                }
            ],
        )
    )
    token = props(result, "okta:tailspin.okta.com:api_token:00T1tspTerrafS8n2p7:key")
    assert token["expires_at"] == "2026-12-20T08:30:00Z"


def _salesforce(period: int | None) -> RawInput:
    app = "0H4Hs000000TsPyKAK"
    return raw(
        "salesforce",
        "00D8d000002TsPyEAK",
        connected_apps={
            "totalSize": 1,
            "done": True,
            "records": [
                {
                    "attributes": {"type": "ConnectedApplication"},
                    "Id": app,
                    "Name": "Expense Sync",
                    "CreatedDate": "2024-01-10T09:00:00.000+0000",
                    "OptionsRefreshTokenValidityMetric": False,
                    "RefreshTokenValidityPeriod": period,
                }
            ],
        },
        oauth_tokens={
            "totalSize": 1,
            "done": True,
            "records": [
                {
                    "attributes": {"type": "OauthToken"},
                    "Id": None,
                    "AppName": "Expense Sync",
                    "AppMenuItemId": None,
                    "CreatedDate": "2025-02-03T10:00:00.000+0000",
                    "LastUsedDate": "2026-11-01T10:00:00.000+0000",
                    "UserId": "0058d000004TsPyAAK",
                }
            ],
        },
    )


@pytest.mark.parametrize(
    ("period", "expires_at"),
    [
        (None, None),  # "Refresh token is valid until revoked"
        (1200, None),  # a hundred years (in months, the largest unit): never
        (6, "2025-08-03T10:00:00Z"),
    ],
)
def test_salesforce_refresh_token_policy(period: int | None, expires_at: str | None) -> None:
    result = transform(_salesforce(period))
    token = (
        "salesforce:00D8d000002TsPyEAK:oauth-token:"
        "0H4Hs000000TsPyKAK:0058d000004TsPyAAK:20250203T100000Z"
    )
    assert props(result, token).get("expires_at") == expires_at


def test_aws_access_keys_have_no_expiry() -> None:
    header = (
        "user,arn,user_creation_time,password_enabled,password_last_used,"
        "password_last_changed,password_next_rotation,mfa_active,access_key_1_active,"
        "access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,"
        "access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,"
        "access_key_2_last_used_date,access_key_2_last_used_region,"
        "access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,"
        "cert_2_last_rotated"
    )
    row = (
        "etl,arn:aws:iam::111122223333:user/etl,2024-01-01T00:00:00+00:00,false,N/A,N/A,N/A,"
        "false,true,2024-01-01T00:00:00+00:00,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,"
        "false,N/A"
    )
    result = transform(raw("aws", None, credential_report=f"{header}\n{row}\n"))
    assert "expires_at" not in props(result, "aws:111122223333:user:etl:access_key_1")


# --------------------------------------------------------------------------- the finding


def test_a_graph_secret_that_never_expires_is_found_on_both_stores(
    store: EmbeddedStore | Neo4jStore,
) -> None:
    write(store, transform(GRAPH))
    findings = find(read_estate(store), store, default_policy(), AS_OF)
    never = sorted(f.subject for f in findings if f.rule == "NHI-CRED-001")
    too_long = sorted(f.subject for f in findings if f.rule == "NHI-CRED-002")
    secrets = [f"{M365}:secret:0a1b2c3d-0000-4000-8000-0000000000{k}" for k in ("01", "02", "03")]
    assert never == [f"{M365}:cert:0a1b2c3d-0000-4000-8000-000000000005", *secrets]
    assert too_long == []
