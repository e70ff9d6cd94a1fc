#!/usr/bin/env python3
"""Deterministic content generators for the Silo benchmark data set.

Used by generate-dataset.sh and mutate-dataset.sh; not meant to be run by hand.
Every generator takes an explicit seed and draws only from random.Random(seed), whose
integer-seeded sequence (random(), randrange(), choice()) is stable across Python 3 versions,
so the same arguments always produce byte-identical output.

Subcommands:
  media-plan SEED TOTAL_BYTES        print "relative/path size" lines for incompressible files
  tree DIR COUNT SEED                write COUNT source/HTML-like files (1-20 KB) under DIR
  logs DIR SCALE SEED                write nginx and application logs under DIR
  env DIR SEED                       write a few .env files under DIR
  web-sql SCALE SEED                 print SQL (DDL + COPY data) for the web tables on stdout
  mutate-tree DIR FRACTION SEED      modify FRACTION of the files under DIR in place
  mutate-logs DIR SCALE GEN SEED     append about four hours of traffic to the logs under DIR
  mutate-dump FILE FRACTION GEN SEED rewrite FRACTION of the dump's rows in place
"""

import datetime
import json
import math
import os
import sys
import random

# --------------------------------------------------------------------------- vocabularies

WORDS = """the of and to in is you that it he was for on are as with his they at be this have from
or one had by word but not what all were we when your can said there use an each which she do how
their if will up other about out many then them these so some her would make like him into time has
look two more write go see number no way could people my than first water been call who oil its now
find long down day did get come made may part platform order delivery customer product payment
invoice account session dashboard report admin server backup restore database cache queue request
response update create delete search filter user profile settings upload image video document
review comment rating shipping address checkout cart discount coupon stock warehouse supplier
partner campaign newsletter analytics metric alert health status deploy release build version""".split()

IDENT = """user account order item product cart payment invoice session token auth config
service handler controller model view route store state action reducer hook util helper format
parse validate render fetch load save update delete create list get set build query filter sort
page index detail form modal button table row cell header footer nav menu layout theme style
image media upload file path url api client server request response error event logger cache
queue job task worker schedule notify email sms push report chart metric stat dashboard admin
partner supplier shipping address coupon discount price stock review rating comment""".split()

DIRS = """components pages utils services hooks models routes i18n styles assets tests lib api
store middleware controllers views templates partials layouts admin shared common core
features orders products users payments reports widgets forms tables charts icons""".split()

FIRST = "Anna Ben Clara David Emma Felix Grace Hugo Ines Jonas Kim Lena Marco Nina Oscar Paula " \
        "Quentin Rosa Sven Tara Uwe Vera Will Xenia Yuki Zoe José Zoë Søren Mina Jiho Seo-yeon".split()
LAST = "Kim Lee Park Choi Jung Smith Müller García Rossi Novak Silva Dubois Jensen Tanaka " \
       "Kowalski Nguyen Brown Schmidt Costa Ivanova Haddad".split()

USER_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "curl/7.88.1",
    "okhttp/4.12.0",
    "python-requests/2.31.0",
    "UptimeRobot/2.0; http://www.uptimerobot.com/",
]

PATHS = ["/", "/api/v1/products", "/api/v1/products/{n}", "/api/v1/orders", "/api/v1/orders/{n}",
         "/api/v1/cart", "/api/v1/auth/refresh", "/api/v1/users/me", "/api/v1/search?q={w}",
         "/blog/{w}-{w}-{n}", "/products/{w}-{n}", "/static/js/main.{h}.js", "/static/css/app.{h}.css",
         "/media/uploads/2024/{m}/IMG_{n}.jpg", "/admin/dashboard", "/admin/orders?page={p}",
         "/health", "/favicon.ico", "/robots.txt", "/sitemap.xml", "/api/v1/partners/{n}/stats"]

BASE_TIME = datetime.datetime(2024, 2, 1, 0, 0, 0, tzinfo=datetime.timezone.utc)


def ident(rng, parts=2):
    words = [rng.choice(IDENT) for _ in range(parts)]
    return words[0] + "".join(w.capitalize() for w in words[1:])


def sentence(rng, lo=6, hi=16):
    s = " ".join(rng.choice(WORDS) for _ in range(rng.randint(lo, hi)))
    return s[0].upper() + s[1:] + "."


def hexstr(rng, n):
    return "%0*x" % (n, rng.getrandbits(4 * n))


# --------------------------------------------------------------------------- media plan

def cmd_media_plan(seed, total):
    """Sizes log-uniform in [100 KB, 20 MB] until TOTAL bytes; names look like uploads."""
    rng = random.Random(seed)
    used, n = 0, 0
    lo, hi = math.log(100 * 1024), math.log(20 * 1024 * 1024)
    while used < total:
        size = int(math.exp(rng.uniform(lo, hi)))
        if size < 1024 * 1024:
            ext = rng.choice(["jpg", "jpg", "png", "webp"])
        elif size < 6 * 1024 * 1024:
            ext = rng.choice(["jpg", "pdf", "png", "zip"])
        else:
            ext = rng.choice(["mp4", "mp4", "webm", "zip"])
        month = 1 + n % 12
        name = "uploads/2023/%02d/%s_%05d.%s" % (month, rng.choice(["IMG", "DOC", "VID", "upload"]), n, ext)
        print(name, size)
        used += size
        n += 1


# --------------------------------------------------------------------------- source tree

LICENSE = """/*
 * Copyright (c) 2021-2024 O4O Platform contributors.
 * Licensed under the Apache License, Version 2.0 (the "License"); you may not use this file
 * except in compliance with the License. You may obtain a copy of the License at
 * http://www.apache.org/licenses/LICENSE-2.0
 */
"""


def js_line(rng):
    k = rng.randrange(12)
    a, b, c = ident(rng), ident(rng), ident(rng, 1)
    if k == 0:
        return "import { %s, %s } from '../%s/%s';" % (a, b, rng.choice(DIRS), c)
    if k == 1:
        return "export async function %s(%s, %s) {" % (a, c, ident(rng, 1))
    if k == 2:
        return "  const %s = await %s.%s(%s);" % (a, c, b, ident(rng, 1))
    if k == 3:
        return "  if (!%s) { throw new HttpError(%d, '%s'); }" % (a, rng.choice([400, 401, 403, 404, 409, 422]), sentence(rng, 3, 6))
    if k == 4:
        return "  // %s" % sentence(rng, 5, 14)
    if k == 5:
        return "  return { ...%s, %s: %s.%s };" % (a, b, c, ident(rng, 1))
    if k == 6:
        return "}"
    if k == 7:
        return "  logger.%s('%s', { %s });" % (rng.choice(["info", "debug", "warn"]), sentence(rng, 3, 8), a)
    if k == 8:
        return "  for (const %s of %s) {" % (c, a)
    if k == 9:
        return "    %s.push(%s(%s, %d));" % (a, b, c, rng.randrange(1000))
    if k == 10:
        return "export const %s = (%s) => %s?.%s ?? null;" % (a, c, c, b)
    return ""


def html_line(rng):
    k = rng.randrange(8)
    cls = "%s-%s" % (rng.choice(IDENT), rng.choice(["card", "row", "col-md-6", "btn", "title", "list", "item"]))
    if k == 0:
        return '<div class="%s">' % cls
    if k == 1:
        return "</div>"
    if k == 2:
        return "  <p>%s</p>" % " ".join(sentence(rng) for _ in range(rng.randint(1, 3)))
    if k == 3:
        return '  <a href="/%s/%s-%d" class="%s">%s</a>' % (rng.choice(DIRS), rng.choice(WORDS), rng.randrange(9999), cls, sentence(rng, 2, 5))
    if k == 4:
        return '  <img src="/media/uploads/2023/%02d/IMG_%05d.jpg" alt="%s" loading="lazy">' % (1 + rng.randrange(12), rng.randrange(99999), sentence(rng, 2, 6))
    if k == 5:
        return "  <h%d>%s</h%d>" % (rng.randint(1, 4), sentence(rng, 2, 7), rng.randint(1, 4))
    if k == 6:
        return '  <button type="button" class="btn btn-%s" data-action="%s">%s</button>' % (rng.choice(["primary", "secondary", "link"]), ident(rng), rng.choice(WORDS).capitalize())
    return '  <li class="%s">{{ %s.%s }}</li>' % (cls, ident(rng, 1), ident(rng))


def css_line(rng):
    k = rng.randrange(5)
    if k == 0:
        return ".%s-%s {" % (rng.choice(IDENT), rng.choice(["card", "header", "btn", "grid", "modal"]))
    if k == 4:
        return "}"
    prop = rng.choice(["margin", "padding", "color", "background", "border-radius", "font-size", "gap"])
    val = rng.choice(["%dpx" % rng.randrange(64), "#%s" % hexstr(rng, 6), "%d%%" % rng.randrange(100), "var(--%s)" % ident(rng)])
    return "  %s: %s;" % (prop, val)


def py_line(rng):
    k = rng.randrange(7)
    a, b = ident(rng), ident(rng, 1)
    snake = "_".join(rng.choice(IDENT) for _ in range(2))
    if k == 0:
        return "def %s(%s, %s=None):" % (snake, b, rng.choice(IDENT))
    if k == 1:
        return "    %s = %s.%s(%s)" % (snake, b, rng.choice(IDENT), rng.choice(IDENT))
    if k == 2:
        return '    """%s"""' % sentence(rng)
    if k == 3:
        return "    if %s is None:" % snake
    if k == 4:
        return "        raise ValueError(%r)" % sentence(rng, 3, 7)
    if k == 5:
        return "    return %s" % a
    return "from .%s import %s" % (rng.choice(DIRS), a)


def json_entry(rng):
    return '  "%s.%s": "%s",' % (rng.choice(DIRS), ident(rng), sentence(rng, 3, 12))


def md_line(rng):
    k = rng.randrange(4)
    if k == 0:
        return "## %s" % sentence(rng, 2, 6)
    if k == 1:
        return "- %s" % sentence(rng)
    return " ".join(sentence(rng) for _ in range(rng.randint(2, 5)))


KINDS = [  # (extension, line generator, weight)
    ("ts", js_line, 26), ("js", js_line, 18), ("tsx", js_line, 14), ("html", html_line, 12),
    ("css", css_line, 8), ("py", py_line, 8), ("json", json_entry, 8), ("md", md_line, 6),
]


def make_pools(rng, per_kind=3000):
    """A pool of lines per kind: files repeat lines like real code does, without being trivial."""
    return {ext: [gen(rng) for _ in range(per_kind)] for ext, gen, _ in KINDS}


def file_text(rng, ext, pools, size):
    pool = pools[ext]
    out = []
    used = 0
    if ext in ("ts", "js", "tsx", "css") and rng.random() < 0.6:
        out.append(LICENSE)
        used += len(LICENSE)
    if ext == "json":
        out.append("{")
    if ext == "html":
        out.append('<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>%s</title></head>\n<body>' % sentence(rng, 2, 5))
    while used < size:
        line = rng.choice(pool)
        if rng.random() < 0.15:  # a fresh line now and then, so files are not just permutations
            line = dict((e, g) for e, g, _ in KINDS)[ext](rng)
        out.append(line)
        used += len(line) + 1
    if ext == "json":
        out.append('  "_version": "%d"\n}' % rng.randrange(1000))
    if ext == "html":
        out.append("</body>\n</html>")
    return "\n".join(out) + "\n"


def tree_layout(rng, count):
    """Directory paths (depth 2-5) and unique file names, ~12 files a directory."""
    projects = ["web", "api-server", "admin", "shared", "mobile-web", "partner-portal", "docs"]
    ndirs = max(1, count // 12)
    dirs = []
    seen = set()
    while len(dirs) < ndirs:
        depth = rng.randint(1, 4)
        p = [rng.choice(projects), "src"] + [rng.choice(DIRS) for _ in range(depth)]
        path = "/".join(p)
        if path not in seen:
            seen.add(path)
            dirs.append(path)
    exts = [e for e, _, w in KINDS for _ in range(w)]
    files = []
    names = set()
    while len(files) < count:
        d = rng.choice(dirs)
        ext = rng.choice(exts)
        name = "%s/%s.%s" % (d, ident(rng, rng.randint(1, 3)), ext)
        if name in names:
            name = "%s/%s%d.%s" % (d, ident(rng, 2), len(files), ext)
            if name in names:
                continue
        names.add(name)
        files.append((name, ext))
    return files


def cmd_tree(root, count, seed):
    rng = random.Random(seed)
    pools = make_pools(rng)
    lo, hi = math.log(1024), math.log(20 * 1024)
    made = set()
    for name, ext in tree_layout(rng, count):
        size = int(math.exp(rng.uniform(lo, hi)))
        path = os.path.join(root, name)
        d = os.path.dirname(path)
        if d not in made:
            os.makedirs(d, exist_ok=True)
            made.add(d)
        with open(path, "w", encoding="utf-8") as f:
            f.write(file_text(rng, ext, pools, size))


def cmd_mutate_tree(root, fraction, seed):
    """Edit a line in the middle of some files, append to others (a day of commits)."""
    rng = random.Random(seed)
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for fn in sorted(filenames):
            if not fn.startswith(".env"):
                files.append(os.path.join(dirpath, fn))
    files.sort()
    k = max(1, int(len(files) * fraction))
    for path in rng.sample(files, k):
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
        edit = "  // %s (rev %s)" % (sentence(rng, 4, 10), hexstr(rng, 8))
        if rng.random() < 0.6 and len(lines) > 4:
            i = rng.randrange(1, len(lines) - 2)
            lines[i] = edit
        else:
            lines[-1:] = [edit, ""]
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(lines))


# --------------------------------------------------------------------------- logs

def access_line(rng, t, ips):
    path = rng.choice(PATHS).format(n=rng.randrange(1, 200000), w=rng.choice(WORDS), h=hexstr(rng, 8),
                                    m="%02d" % rng.randint(1, 12), p=rng.randint(1, 40))
    status = rng.choices([200, 200, 200, 304, 301, 404, 401, 500, 502], weights=[60, 10, 5, 8, 3, 6, 4, 2, 1])[0]
    size = 0 if status == 304 else rng.randrange(150, 90000)
    method = "GET" if rng.random() < 0.85 else rng.choice(["POST", "PUT", "DELETE", "PATCH"])
    ref = "-" if rng.random() < 0.4 else "https://o4o-platform.example%s" % rng.choice(PATHS).format(
        n=rng.randrange(1, 200000), w=rng.choice(WORDS), h="0", m="01", p=1)
    return '%s - - [%s] "%s %s HTTP/1.1" %d %d "%s" "%s" rt=%.3f uct=0.000 uht=%.3f\n' % (
        rng.choice(ips), t.strftime("%d/%b/%Y:%H:%M:%S +0000"), method, path, status, size, ref,
        rng.choice(USER_AGENTS), rng.expovariate(20), rng.expovariate(25))


def error_line(rng, t, ips):
    msg = rng.choice([
        'upstream timed out (110: Connection timed out) while reading response header from upstream',
        'connect() failed (111: Connection refused) while connecting to upstream',
        'open() "/var/www/html/%s.php" failed (2: No such file or directory)' % rng.choice(WORDS),
        'client intended to send too large body: %d bytes' % rng.randrange(10**7, 10**8),
        'limiting requests, excess: %.3f by zone "api"' % rng.uniform(1, 20),
    ])
    return '%s [%s] %d#%d: *%d %s, client: %s, server: o4o-platform.example, request: "GET /api/v1/%s HTTP/1.1"\n' % (
        t.strftime("%Y/%m/%d %H:%M:%S"), rng.choice(["error", "warn", "error", "crit"]), rng.randrange(900, 999), 0,
        rng.randrange(10**6, 10**7), msg, rng.choice(ips), rng.choice(IDENT))


def app_line(rng, t, ips):
    rec = {"ts": t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % rng.randrange(1000),
           "level": rng.choices(["info", "debug", "warn", "error"], weights=[70, 15, 10, 5])[0],
           "msg": sentence(rng, 3, 9), "req_id": hexstr(rng, 16), "ip": rng.choice(ips),
           "route": rng.choice(PATHS).split("?")[0].replace("{n}", ":id").replace("{w}", ":slug").replace("{h}", ":hash").replace("{m}", ":month"), "status": rng.choice([200, 200, 201, 204, 400, 404, 500]),
           "duration_ms": round(rng.expovariate(0.05), 2), "user_id": rng.randrange(1, 100000)}
    return json.dumps(rec, separators=(",", ":")) + "\n"


LOGS = [  # (relative path, line generator, bytes at scale 1, start offset in hours, span in hours)
    ("nginx/access.log.1", access_line, 30_000_000, 0, 24),
    ("nginx/access.log", access_line, 40_000_000, 24, 24),
    ("nginx/error.log", error_line, 4_000_000, 0, 48),
    ("app/api-server.log", app_line, 25_000_000, 0, 48),
]


def client_ips(rng):
    return ["%d.%d.%d.%d" % (rng.choice([31, 45, 82, 103, 121, 175, 203, 211]), rng.randrange(256), rng.randrange(256), rng.randrange(1, 255)) for _ in range(5000)]


def write_log(path, gen, rng, ips, nbytes, start_h, span_h, mode):
    # Estimate the line count from a sample so timestamps spread evenly over the span.
    avg = 230 if gen is access_line else (260 if gen is app_line else 250)
    nlines = max(1, nbytes // avg)
    step = span_h * 3600.0 / nlines
    t0 = BASE_TIME + datetime.timedelta(hours=start_h)
    written, i = 0, 0
    buf = []
    with open(path, mode, encoding="utf-8") as f:
        while written < nbytes:
            line = gen(rng, t0 + datetime.timedelta(seconds=i * step), ips)
            buf.append(line)
            written += len(line)
            i += 1
            if len(buf) >= 4096:
                f.write("".join(buf))
                buf = []
        f.write("".join(buf))


def cmd_logs(root, scale, seed):
    rng = random.Random(seed)
    ips = client_ips(rng)
    for rel, gen, nbytes, start_h, span_h in LOGS:
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        write_log(path, gen, rng, ips, max(20_000, int(nbytes * scale)), start_h, span_h, "w")


def cmd_mutate_logs(root, scale, gen_no, seed):
    """Append the next four hours: live logs grow, rotated ones stay as they are."""
    rng = random.Random(seed)
    ips = client_ips(rng)
    for rel, gen, nbytes, start_h, span_h in LOGS:
        if rel.endswith(".1"):
            continue
        per_hour = nbytes / 24.0 if rel == "nginx/access.log" else nbytes / 48.0
        path = os.path.join(root, rel)
        write_log(path, gen, rng, ips, max(5_000, int(per_hour * 4 * scale)), 48 + 4 * (gen_no - 1), 4, "a")


# --------------------------------------------------------------------------- .env files

def cmd_env(root, seed):
    rng = random.Random(seed)
    files = {
        ".env": ["NODE_ENV=production", "APP_URL=https://o4o-platform.example", "DB_HOST=127.0.0.1",
                 "DB_PORT=5432", "DB_NAME=o4o_platform", "DB_USER=o4o", "DB_PASSWORD=%s" % hexstr(rng, 32),
                 "REDIS_URL=redis://127.0.0.1:6379/0", "JWT_SECRET=%s" % hexstr(rng, 64),
                 "BACKUP_DIR=/var/backups/o4o", "RETENTION_DAYS=7", "ALERT_EMAIL=ops@o4o-platform.example",
                 "SLACK_WEBHOOK=https://hooks.slack.com/services/T%s/B%s/%s" % (hexstr(rng, 8), hexstr(rng, 8), hexstr(rng, 24))],
        "api-server/.env.production": ["PORT=4000", "DB_PASSWORD=%s" % hexstr(rng, 32), "S3_BUCKET=o4o-media",
                                       "S3_ACCESS_KEY=AKIA%s" % hexstr(rng, 16).upper(), "S3_SECRET_KEY=%s" % hexstr(rng, 40),
                                       "SMTP_HOST=smtp.example.net", "SMTP_PASSWORD=%s" % hexstr(rng, 20)],
        "web/.env.local": ["NEXT_PUBLIC_API_URL=https://api.o4o-platform.example", "NEXT_PUBLIC_SENTRY_DSN=https://%s@sentry.example/12" % hexstr(rng, 32)],
        "admin/.env": ["VITE_API_URL=https://api.o4o-platform.example", "ADMIN_SESSION_SECRET=%s" % hexstr(rng, 48)],
        "partner-portal/.env.production": ["API_URL=https://api.o4o-platform.example", "PARTNER_HMAC_KEY=%s" % hexstr(rng, 64)],
    }
    for rel, lines in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write("# generated for benchmarks; not real secrets\n" + "\n".join(lines) + "\n")
        os.chmod(path, 0o600)


# --------------------------------------------------------------------------- database rows

def ts(seconds):
    return (BASE_TIME - datetime.timedelta(days=400) + datetime.timedelta(seconds=seconds)).strftime("%Y-%m-%d %H:%M:%S+00")


def copy_escape(s):
    return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def row_counts(scale):
    return max(200, int(100_000 * scale)), max(100, int(60_000 * scale)), max(1000, int(400_000 * scale))


DDL = """
SET client_min_messages = warning;
CREATE TABLE users (
    id bigint PRIMARY KEY,
    email text NOT NULL UNIQUE,
    display_name text NOT NULL,
    password_hash text NOT NULL,
    role text NOT NULL DEFAULT 'customer',
    created_at timestamptz NOT NULL,
    last_login_at timestamptz,
    profile jsonb NOT NULL DEFAULT '{}'
);
CREATE TABLE posts (
    id bigint PRIMARY KEY,
    author_id bigint NOT NULL REFERENCES users(id),
    slug text NOT NULL UNIQUE,
    title text NOT NULL,
    body text NOT NULL,
    status text NOT NULL,
    meta jsonb NOT NULL DEFAULT '{}',
    view_count integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE TABLE events (
    id bigint PRIMARY KEY,
    user_id bigint,
    session_id text NOT NULL,
    kind text NOT NULL,
    path text NOT NULL,
    ip inet NOT NULL,
    user_agent text NOT NULL,
    payload jsonb NOT NULL,
    created_at timestamptz NOT NULL
);
"""

POST_INDEXES = """
CREATE INDEX posts_author_idx ON posts (author_id);
CREATE INDEX events_user_created_idx ON events (user_id, created_at);
CREATE INDEX events_kind_idx ON events (kind);
ANALYZE;
"""


def user_row(rng, i):
    first, last = rng.choice(FIRST), rng.choice(LAST)
    email = "%s.%s%d@%s" % (first.lower(), last.lower(), i, rng.choice(["example.com", "mail.example", "corp.example"]))
    profile = {"locale": rng.choice(["en", "ko", "de", "fr", "ja"]), "newsletter": rng.random() < 0.3,
               "theme": rng.choice(["light", "dark", "system"]),
               "address": {"city": rng.choice(["Seoul", "Busan", "Berlin", "Lyon", "Osaka", "Austin"]),
                           "zip": "%05d" % rng.randrange(100000)},
               "tags": rng.sample(["vip", "b2b", "partner", "beta", "wholesale", "new"], rng.randint(0, 3))}
    created = rng.randrange(0, 300 * 86400)
    return "\t".join([str(i), copy_escape(email), copy_escape("%s %s" % (first, last)),
                      "$argon2id$v=19$m=65536,t=3,p=4$%s$%s" % (hexstr(rng, 22), hexstr(rng, 43)),
                      rng.choices(["customer", "partner", "admin", "supplier"], weights=[90, 6, 1, 3])[0],
                      ts(created), ts(created + rng.randrange(0, 100 * 86400)),
                      copy_escape(json.dumps(profile, ensure_ascii=False))])


def post_row(rng, i, nusers):
    title = sentence(rng, 4, 10)[:-1]
    slug = "-".join(title.lower().split()[:6]) + "-%d" % i
    paras = ["\n".join(sentence(rng) for _ in range(rng.randint(2, 6))) for _ in range(rng.randint(1, 8))]
    body = "\n\n".join(paras)
    meta = {"seo": {"description": sentence(rng, 6, 14), "keywords": rng.sample(WORDS, 4)},
            "cover": "/media/uploads/2023/%02d/IMG_%05d.jpg" % (1 + rng.randrange(12), rng.randrange(99999)),
            "reading_minutes": max(1, len(body) // 1200)}
    created = rng.randrange(0, 380 * 86400)
    return "\t".join([str(i), str(rng.randint(1, nusers)), copy_escape(slug), copy_escape(title), copy_escape(body),
                      rng.choices(["published", "draft", "archived"], weights=[80, 15, 5])[0],
                      copy_escape(json.dumps(meta)), str(rng.randrange(0, 50000)), ts(created),
                      ts(created + rng.randrange(0, 20 * 86400))])


def event_row(rng, i, nusers, t):
    kind = rng.choices(["page_view", "click", "add_to_cart", "checkout", "login", "search"], weights=[60, 20, 8, 3, 5, 4])[0]
    payload = {"ref": rng.choice(["google", "direct", "newsletter", "instagram", "partner"]),
               "screen": rng.choice(["1920x1080", "390x844", "1440x900", "412x915"])}
    if kind == "search":
        payload["q"] = " ".join(rng.sample(WORDS, 2))
    if kind in ("add_to_cart", "checkout"):
        payload["product_id"] = rng.randrange(1, 20000)
        payload["amount"] = rng.randrange(500, 500000)
    uid = str(rng.randint(1, nusers)) if rng.random() < 0.7 else "\\N"
    return "\t".join([str(i), uid, hexstr(rng, 24), kind,
                      rng.choice(PATHS).format(n=rng.randrange(1, 200000), w=rng.choice(WORDS), h="0", m="01", p=1),
                      "%d.%d.%d.%d" % (rng.choice([31, 45, 82, 103, 121]), rng.randrange(256), rng.randrange(256), rng.randrange(1, 255)),
                      rng.choice(USER_AGENTS), json.dumps(payload), ts(t)])


def cmd_web_sql(scale, seed):
    rng = random.Random(seed)
    nusers, nposts, nevents = row_counts(scale)
    out = sys.stdout
    out.write(DDL)
    out.write("COPY users (id, email, display_name, password_hash, role, created_at, last_login_at, profile) FROM stdin;\n")
    for i in range(1, nusers + 1):
        out.write(user_row(rng, i) + "\n")
    out.write("\\.\nCOPY posts (id, author_id, slug, title, body, status, meta, view_count, created_at, updated_at) FROM stdin;\n")
    for i in range(1, nposts + 1):
        out.write(post_row(rng, i, nusers) + "\n")
    out.write("\\.\nCOPY events (id, user_id, session_id, kind, path, ip, user_agent, payload, created_at) FROM stdin;\n")
    step = 400 * 86400 / nevents
    for i in range(1, nevents + 1):
        out.write(event_row(rng, i, nusers, int(i * step)) + "\n")
    out.write("\\.\n")
    out.write(POST_INDEXES)


# --------------------------------------------------------------------------- dump mutation

def cmd_mutate_dump(path, fraction, gen_no, seed):
    """Rewrite FRACTION of the rows of the COPY sections where they stand, the way an UPDATE-heavy
    four hours looks in the next dump, and append the rows such traffic inserts (events, history)."""
    rng = random.Random(seed)
    now = 400 * 86400 + gen_no * 4 * 3600
    tmp = path + ".mutating"
    table, last_id, nusers = None, 0, 1
    updated_accounts = []
    with open(path, encoding="utf-8", newline="") as src, open(tmp, "w", encoding="utf-8", newline="") as dst:
        for line in src:
            if table is None:
                if line.startswith("COPY "):
                    table = line.split()[1].split(".")[-1]
                    cols = [c.strip() for c in line[line.index("(") + 1:line.index(")")].split(",")]
                    col = {name: i for i, name in enumerate(cols)}
                    rows = 0
                dst.write(line)
                continue
            if line == "\\.\n":
                if table == "events":
                    for k in range(1, max(10, int(rows * 0.01)) + 1):
                        dst.write(event_row(rng, last_id + k, nusers, now - 4 * 3600 + k) + "\n")
                elif table == "pgbench_history":
                    for aid, delta in updated_accounts:
                        dst.write("%d\t%d\t%d\t%d\t%s\t\\N\n" % (rng.randint(1, 10), 1 + (aid - 1) // 100000, aid, delta,
                                                                ts(now - rng.randrange(4 * 3600)).replace("+00", "")))
                table = None
                dst.write(line)
                continue
            rows += 1
            if table == "events":
                head = line.split("\t", 2)
                last_id = int(head[0])
                if head[1] != "\\N":
                    nusers = max(nusers, int(head[1]))
            if table in ("pgbench_tellers", "pgbench_branches"):
                pick = rng.random() < 0.5
            elif table in ("pgbench_accounts", "users", "posts"):
                pick = rng.random() < fraction
            else:
                pick = False
            if not pick:
                dst.write(line)
                continue
            f = line.rstrip("\n").split("\t")
            if table == "pgbench_accounts":
                delta = rng.randint(-5000, 5000)
                f[col["abalance"]] = str(int(f[col["abalance"]]) + delta)
                updated_accounts.append((int(f[col["aid"]]), delta))
            elif table in ("pgbench_tellers", "pgbench_branches"):
                c = col["tbalance" if table == "pgbench_tellers" else "bbalance"]
                f[c] = str(int(f[c]) + rng.randint(-50000, 50000))
            elif table == "users":
                f[col["last_login_at"]] = ts(now - rng.randrange(4 * 3600))
            elif table == "posts":
                f[col["view_count"]] = str(int(f[col["view_count"]]) + rng.randint(1, 500))
                f[col["updated_at"]] = ts(now - rng.randrange(4 * 3600))
                if rng.random() < 0.2:
                    f[col["body"]] += "\\n\\nUpdate: " + copy_escape(sentence(rng))
            dst.write("\t".join(f) + "\n")
    os.chmod(tmp, os.stat(path).st_mode & 0o7777)
    os.replace(tmp, path)


# --------------------------------------------------------------------------- entry point

def main(argv):
    if not argv:
        sys.exit(__doc__)
    cmd, args = argv[0], argv[1:]
    if cmd == "media-plan":
        cmd_media_plan(int(args[0]), int(args[1]))
    elif cmd == "tree":
        cmd_tree(args[0], int(args[1]), int(args[2]))
    elif cmd == "logs":
        cmd_logs(args[0], float(args[1]), int(args[2]))
    elif cmd == "env":
        cmd_env(args[0], int(args[1]))
    elif cmd == "web-sql":
        cmd_web_sql(float(args[0]), int(args[1]))
    elif cmd == "mutate-tree":
        cmd_mutate_tree(args[0], float(args[1]), int(args[2]))
    elif cmd == "mutate-logs":
        cmd_mutate_logs(args[0], float(args[1]), int(args[2]), int(args[3]))
    elif cmd == "mutate-dump":
        cmd_mutate_dump(args[0], float(args[1]), int(args[2]), int(args[3]))
    else:
        sys.exit("unknown subcommand %r\n%s" % (cmd, __doc__))


if __name__ == "__main__":
    main(sys.argv[1:])
