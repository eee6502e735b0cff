"""Baseline: Apprise (Debian's python3-apprise) sending Slack bot DMs to the Slack fake.

usage: python3 bench/apprise-slack.py <slack_api_base> <bot_token> <channels_file> <default|0>

Apprise's Slack plugin always calls https://slack.com/api; only its base is pointed at the
fake (the same fake Renkei talks to). Channels are DM ids opened beforehand (`+D...`, which
Apprise posts to as given). Prints one JSON line: {"sent": n, "seconds": s}.
"""
import json
import sys
import time

import apprise
from apprise.plugins.NotifySlack import NotifySlack

base, token, channels_file, throttle = sys.argv[1:5]
NotifySlack.api_url = base.rstrip('/') + '/{}'
if throttle != 'default':
    NotifySlack.request_rate_per_sec = float(throttle)

channels = [c.strip() for c in open(channels_file) if c.strip()]
notifier = apprise.Apprise()
notifier.add('slack://{}/{}'.format(token, '/'.join('+' + c for c in channels)))
started = time.monotonic()
ok = notifier.notify(title='Approval requested: Bench', body='Bench document https://workplace.example/b/1')
print(json.dumps({'ok': bool(ok), 'sent': len(channels), 'seconds': time.monotonic() - started}))
