"""An auth manager with per-DAG grants, configured like any other (``[core] auth_manager``).

SimpleAuthManager only knows roles; real deployments get per-DAG permissions from FAB or Keycloak.
The plugin must honour whatever the configured auth manager decides, which this proves.
"""

from __future__ import annotations

from typing import Any

from airflow.api_fastapi.auth.managers.simple.simple_auth_manager import SimpleAuthManager

from tests.fixtures.ui import GRANTS


class DagScopedAuthManager(SimpleAuthManager):
    """SimpleAuthManager whose users in ``GRANTS`` may only read the listed DAGs."""

    def is_authorized_dag(self, *, method: Any, user: Any, access_entity: Any = None, details: Any = None) -> bool:
        allowed = GRANTS.get(user.username)
        if allowed is not None and (details is None or details.id not in allowed):
            return False
        return super().is_authorized_dag(method=method, user=user, access_entity=access_entity, details=details)
