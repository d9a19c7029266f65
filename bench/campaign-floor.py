#!/usr/bin/env python3
"""What SQLite itself costs for a campaign's writes, without madang.

Replays the statements of one campaign batch (`campaign_batch` in
crates/madang-store/src/local/campaigns.rs) through Python's sqlite3 module
with prepared statements and `executemany`, on a copy of a database that
`madang admin audience` filled: the friends read, the day's ad receipts,
the rooms' seqs and the messages, one transaction per 1,000 recipients. Prints recipients per second and the
time each step took, so the floor of this storage layout can be compared
with the server's own rate.

    python3 bench/campaign-floor.py DATA_DIR/madang.db [--checkpoint PAGES]
        [--synchronous-off] [--minimal]
        [--layout before [--slim-events] [--partial-indexes] [--without-rowid]]

`--layout before` puts the copy back to the layout before migration 0013
(2026-11-24) and replays what a batch wrote then: besides each message,
an event row repeating it as JSON and an outcome row per recipient, and
every message under the clients' retry key. With it, --partial-indexes
and --without-rowid change that layout first, to measure what a leaner
one would save: index entries only where a query needs them (an event's
target, a deferred recipient, a client's retry key) and the
campaign-only tables clustered on their primary key. --minimal measures the least any layout that still puts one message in
each recipient's room could write: the room's seq, the day's ad receipt
and the message row alone, clustered on (room, seq) with no other index;
no event and no outcome row (sync and the campaign's record would read the
messages instead).

The copy is made next to the database and removed afterwards; the
database given is not changed. Needs one channel (id 1) with friends;
makes a campaign of its own.
"""

import argparse
import collections
import json
import os
import shutil
import sqlite3
import sys
import time

TEXT = ("(광고) Bench\n안녕하세요 김민지님, 이번 주 딸기 라떼 1+1! 시청점에서 기다릴게요.\n\n"
        "수신거부: 이 메시지의 [광고 수신거부]를 누르세요")
SHOWN = -(1 << 52) - 1
BATCH = 1000


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("db")
    ap.add_argument("--layout", choices=["current", "before"], default="current",
                    help="before: also an event and an outcome row per recipient (the layout before 0013)")
    ap.add_argument("--slim-events", action="store_true", help="store a stub event instead of the message's JSON")
    ap.add_argument("--checkpoint", type=int, help="PRAGMA wal_autocheckpoint (pages)")
    ap.add_argument("--synchronous-off", action="store_true", help="no fsync at all (to see what fsync costs)")
    ap.add_argument("--partial-indexes", action="store_true",
                    help="index events' targets, deferred recipients and clients' retry keys only where present")
    ap.add_argument("--without-rowid", action="store_true",
                    help="ad_receipts and campaign_recipients clustered on their primary keys")
    ap.add_argument("--minimal", action="store_true",
                    help="write only the seq, the ad receipt and an unindexed clustered message row")
    args = ap.parse_args()
    if args.layout == "current" and (args.slim_events or args.partial_indexes or args.without_rowid):
        ap.error("--slim-events, --partial-indexes and --without-rowid need --layout before")

    work = args.db + ".floor"
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(work + suffix):
            os.remove(work + suffix)
    shutil.copyfile(args.db, work)
    try:
        run(work, args)
    finally:
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(work + suffix):
                os.remove(work + suffix)


PARTIAL_INDEXES = [
    "DROP INDEX events_target",
    "CREATE INDEX events_target ON events (room_id, target) WHERE target IS NOT NULL",
    "DROP INDEX campaign_recipients_due",
    "CREATE INDEX campaign_recipients_due ON campaign_recipients (campaign_id, status, due_at) "
    "WHERE status = 'deferred'",
    "DROP INDEX messages_client",
    "CREATE UNIQUE INDEX messages_client ON messages (sender_id, client_id) WHERE campaign_id IS NULL",
]


def cluster(db, table, drop_indexes=False):
    """Rebuilds `table` WITHOUT ROWID on its primary key, keeping its
    indexes unless told to drop them."""
    db.execute("PRAGMA foreign_keys=OFF")
    (sql,) = db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone()
    indexes = [r[0] for r in db.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL", (table,))]
    db.execute(sql.replace(f"CREATE TABLE {table}", f"CREATE TABLE {table}_new", 1) + " WITHOUT ROWID")
    db.execute(f"INSERT INTO {table}_new SELECT * FROM {table}")
    db.execute(f"DROP TABLE {table}")
    db.execute(f"ALTER TABLE {table}_new RENAME TO {table}")
    if not drop_indexes:
        for index in indexes:
            db.execute(index)


# The layout before migration 0013: outcome rows kept each delivery's room
# and seq, and every message had a retry key.
BEFORE = [
    "ALTER TABLE campaign_recipients ADD COLUMN room_id BIGINT",
    "ALTER TABLE campaign_recipients ADD COLUMN seq BIGINT",
    "DROP INDEX messages_campaign",
    "DROP INDEX messages_client",
    "CREATE UNIQUE INDEX messages_client ON messages (sender_id, client_id)",
]


def relayout(db, args):
    if args.layout == "before":
        for sql in BEFORE:
            db.execute(sql)
    if args.minimal:
        cluster(db, "messages", drop_indexes=True)
        cluster(db, "ad_receipts")
        return
    if args.partial_indexes:
        for sql in PARTIAL_INDEXES:
            db.execute(sql)
    if args.without_rowid:
        for table in ("ad_receipts", "campaign_recipients"):
            cluster(db, table)


def run(path, args):
    db = sqlite3.connect(path, isolation_level=None)
    relayout(db, args)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=" + ("OFF" if args.synchronous_off else "NORMAL"))
    db.execute("PRAGMA foreign_keys=ON")
    if args.checkpoint:
        db.execute(f"PRAGMA wal_autocheckpoint={args.checkpoint}")
    (cid,) = db.execute(
        "INSERT INTO campaigns (channel_id, created_by, name, kind, template, variables, "
        "attributes, segment, send_at, status, created_at) "
        "SELECT 1, owner_id, 'floor', 'advertising', 't', '{}', '[]', '{}', 0, 'sending', 0 "
        "FROM (SELECT user_id AS owner_id FROM business_agents LIMIT 1) RETURNING id").fetchone()
    total = db.execute("SELECT COUNT(*) FROM channel_friends WHERE channel_id = 1").fetchone()[0]
    spent = collections.Counter()
    after, done, start = 0, 0, time.time()

    def step(name, since):
        now = time.time()
        spent[name] += now - since
        return now

    while True:
        t = time.time()
        db.execute("BEGIN IMMEDIATE")
        rows = db.execute(
            "SELECT f.user_id, r.room_id, u.display_name, u.time_zone, u.home_lat, u.home_lon, "
            "f.informational, f.marketing, f.marketing_night, f.tags, f.attributes "
            "FROM channel_friends f JOIN channel_rooms r ON r.channel_id = f.channel_id AND r.user_id = f.user_id "
            "JOIN users u ON u.id = f.user_id WHERE f.channel_id = 1 AND f.user_id > ? "
            "ORDER BY f.user_id LIMIT ?", (after, BATCH)).fetchall()
        if not rows:
            db.execute("COMMIT")
            break
        t = step("read friends", t)
        users = [r[0] for r in rows]
        rooms = [r[1] for r in rows]
        db.executemany(
            "INSERT INTO ad_receipts (user_id, day, campaign_id) VALUES (?, 20000, ?) "
            "ON CONFLICT (user_id, day) DO NOTHING", [(u, cid) for u in users])
        t = step("ad receipts", t)
        seqs = {}
        marks = ",".join("?" * len(rooms))
        for room, seq in db.execute(
                f"UPDATE rooms SET last_seq = last_seq + 1, last_message_seq = last_seq + 1 "
                f"WHERE id IN ({marks}) RETURNING id, last_seq", rooms):
            seqs[room] = seq
        t = step("room seqs", t)
        now = int(time.time() * 1000)
        messages = [(room, seqs[room], 1, SHOWN, f"cmp{cid}:{u}", "text", TEXT, "[]", now, cid)
                    for u, room in zip(users, rooms)]
        old_rows = args.layout == "before" and not args.minimal
        if not old_rows:
            events = []
        elif args.slim_events:
            events = [(room, seqs[room], SHOWN, now, '{"type":"message"}') for room in rooms]
        else:
            events = [(room, seqs[room], SHOWN, now, json.dumps({"type": "message", "message": {
                "room_id": room, "seq": seqs[room], "sender_id": SHOWN, "client_id": f"cmp{cid}:{u}", "kind": "text",
                "text": TEXT, "reply_to": None, "mentions": [], "attachment": None, "created_at": now,
                "edited_at": None, "deleted": False, "reactions": [], "unread_count": 1, "campaign_id": cid}},
                ensure_ascii=False)) for u, room in zip(users, rooms)]
        t = step("(python: building rows)", t)
        db.executemany(
            "INSERT INTO messages (room_id, seq, sender_id, shown_id, client_id, kind, text, mentions, "
            "created_at, campaign_id) VALUES (?,?,?,?,?,?,?,?,?,?)", messages)
        t = step("messages", t)
        if old_rows:
            db.executemany("INSERT INTO events (room_id, seq, actor_id, at, body) VALUES (?,?,?,?,?)", events)
            t = step("events", t)
            db.executemany(
                "INSERT INTO campaign_recipients (campaign_id, user_id, status, reason, room_id, seq, due_at, at) "
                "VALUES (?, ?, 'delivered', NULL, ?, ?, NULL, ?)",
                [(cid, u, room, seqs[room], now) for u, room in zip(users, rooms)])
            t = step("outcomes", t)
        db.execute("COMMIT")
        step("commit (WAL, checkpoints)", t)
        after = users[-1]
        done += len(rows)
        print(f"\r{done:,}/{total:,}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    secs = time.time() - start
    python = spent.pop("(python: building rows)", 0.0)
    print(f"{done:,} recipients in {secs:.2f} s: {done / secs:,.0f}/s; "
          f"SQLite's share {done / (secs - python):,.0f}/s ({(secs - python) / done * 1e6:.1f} µs each)")
    for name, s in spent.most_common():
        print(f"  {name:<28} {s:6.2f} s  {s / done * 1e6:5.1f} µs each")
    print(f"  {'(python: building rows)':<28} {python:6.2f} s")


if __name__ == "__main__":
    main()
