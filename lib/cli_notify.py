"""CLI commands of SPEC §12: `notify run/serve/subscribe/unsubscribe/webhook` (registered by lib.cli).

The notification modules are imported by the commands that use them: every other command starts as fast."""
from __future__ import annotations

import argparse
import json
import time
from datetime import datetime

from lib.cli_common import migrated_engine as _engine
from lib.cli_common import session_scope
from lib.notify import CHANNELS, EVENTS, WEBHOOK_KINDS


def set_email(username: str, email: str | None, *, session) -> None:
    """`user email NAME A` and `user add … --email A` (lib.cli), in the caller's transaction."""
    from lib.notify import subscriptions
    subscriptions.set_email(username, email, session=session, actor="cli")


def cmd_run(args) -> int:
    from lib.notify import engine as notify_engine
    now = datetime.fromisoformat(args.now).replace(tzinfo=None) if args.now else None
    started = time.perf_counter()
    result = notify_engine.run_once(_engine(), now=now)
    out = result.as_json()
    if args.timing:
        out["seconds"] = round(time.perf_counter() - started, 3)
    print(json.dumps(out))
    return 0


def cmd_serve(args) -> int:
    from lib.notify import engine as notify_engine
    notify_engine.serve(_engine(), interval=args.interval)
    return 0


def _subscribe(args, enabled: bool) -> int:
    from lib.notify import subscriptions
    chosen = [args.channel] if args.channel else (["email", "inbox"] if enabled else list(CHANNELS))
    with session_scope(_engine()) as session:
        for channel in chosen:
            subscriptions.set_subscription(args.username, args.event, channel, enabled, session=session, actor="cli")
    print(json.dumps({"username": args.username, "event": args.event, "channels": chosen, "enabled": enabled}))
    return 0


def cmd_webhook(args) -> int:
    from lib.notify import channels
    with session_scope(_engine()) as session:
        hook_id = channels.set_hook(args.kind, args.company, args.url, args.secret, session=session, actor="cli",
                                    active=not args.off)
    print(json.dumps({"id": hook_id, "kind": args.kind, "company": args.company or "group", "active": not args.off}))
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("notify", help="notifications: evaluate and deliver, subscriptions, robots (SPEC §12)")
    nsub = p.add_subparsers(dest="notify_cmd", required=True)
    r = nsub.add_parser("run", help='evaluate and deliver once; prints {"evaluated","sent","failed","deferred"}')
    r.add_argument("--now", metavar="ISO", help="business time to evaluate at (Asia/Shanghai), e.g. 2025-09-30T22:00")
    r.add_argument("--timing", action="store_true", help="add the run's seconds to the output")
    r.set_defaults(func=cmd_run)
    s = nsub.add_parser("serve", help="run a pass every minute until stopped (SIGTERM)")
    s.add_argument("--interval", type=float, default=60.0, help=argparse.SUPPRESS)
    s.set_defaults(func=cmd_serve)
    for name, enabled, default in (("subscribe", True, "email and inbox"), ("unsubscribe", False, "every channel")):
        s = nsub.add_parser(name, help=f"turn an event {'on' if enabled else 'off'} for a user")
        s.add_argument("username")
        s.add_argument("event", choices=EVENTS)
        s.add_argument("--channel", choices=CHANNELS, help=f"default: {default}")
        s.set_defaults(func=lambda args, enabled=enabled: _subscribe(args, enabled))
    w = nsub.add_parser("webhook", help="set the group robot of a company (or of the group) for WeCom/DingTalk/Feishu")
    w.add_argument("kind", choices=WEBHOOK_KINDS)
    w.add_argument("url")
    w.add_argument("--company", help="the company's robot; omitted: the group's")
    w.add_argument("--secret", help="signing secret (DingTalk 加签, Feishu 签名校验)")
    w.add_argument("--off", action="store_true", help="keep it but send nothing to it")
    w.set_defaults(func=cmd_webhook)
