"""What every airflow-mlmonitor notifier shares: it never raises, and renders cheaply and safely."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseNotifier

if TYPE_CHECKING:
    from airflow.sdk import Context


class SafeNotifier(BaseNotifier):
    """A ``BaseNotifier`` for ``on_*_callback`` that can never change a task's or run's outcome."""

    def __call__(self, *args: Any) -> None:
        try:
            super().__call__(*args)
        except Exception as err:  # a callback never changes a task's or run's outcome
            self.on_notify_error(err)

    def on_notify_error(self, err: Exception) -> None:
        """Log why ``notify`` failed (override for a more specific message)."""
        self.log.warning("%s failed: %s", type(self).__name__, err)

    def render_template_fields(self, context: Context, jinja_env: Any = None) -> None:
        """Skip Jinja when there is nothing to render (a callback stays in the microseconds), and
        work under ``dag.test()`` too, whose DAG-callback context holds a serialized DAG without a
        Jinja environment (``BaseNotifier`` fails there): fall back to a sandboxed one."""
        if not any("{" in str(getattr(self, field, "")) for field in self.template_fields):
            return
        dag = context.get("dag")
        if jinja_env is None and dag is not None and not hasattr(dag, "get_template_env"):
            jinja_env = self.get_template_env(dag=None)
        super().render_template_fields(context, jinja_env)
