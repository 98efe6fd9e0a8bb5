"""The Slack app (slack-bolt): the exception message's buttons applied to the operational store.

- `settings`: Socket Mode or HTTP, and the secrets each needs, from the environment (`choose_mode`).
- `app`: `build_app(home, settings)`, the Bolt app at the home's store and Slack base URL, token checked.
- `handlers`: the listeners: Acknowledge, Assign to me, Resolve (a modal asking for the reason).
- `replay_handlers`: Replay (dry run), which posts the plan in the exception's thread, and Execute replay (a modal
  asking for the reason, operators only), run one at a time on the app's replay worker; `replay_scope` chooses the
  replay and the operator, `replay_messages` says it all in Slack.
- `apply`: a click applied to the store, the outbox delivered, a refusal answered to the user alone.
- `clicks`, `modal`: reading payloads; the Resolve modal.
- `http_server`, `socket_mode`: serving it; `listener_pool`: the threads handlers run on after `ack()` (and the
  replay worker's one).

See docs/slack_app.md.
"""

from dagster_project.slack_app.app import ReconSlackApp, build_app
from dagster_project.slack_app.http_server import EVENTS_PATH, make_http_server, serve_http
from dagster_project.slack_app.settings import AppSettings, Mode, choose_mode
from dagster_project.slack_app.socket_mode import serve_socket_mode

__all__ = [
    "EVENTS_PATH",
    "AppSettings",
    "Mode",
    "ReconSlackApp",
    "build_app",
    "choose_mode",
    "make_http_server",
    "serve_http",
    "serve_socket_mode",
]
