#!/usr/bin/env python3
"""ddi_server.py - a hawkBit DDI (Direct Device Integration) test server.

A small stand-in for a hawkBit update server, written from hawkBit's public
DDI API documentation, for tests of DDI clients (a device polls it, fetches
a deployment, downloads artifacts and reports feedback). Python 3 standard
library only; plain HTTP on 127.0.0.1; all state in memory, behind one lock.
Used by tests/integration/lib-ddi.sh (start_ddi_server).

    ddi_server.py --port-file FILE [--port 0] [--sleep HH:MM:SS]
                  [--gateway-token TOKEN] [--log FILE]

--port 0 (the default) picks a free port; the port is written to
--port-file once the server listens. --sleep is the polling interval the
server tells devices (config.polling.sleep, default 00:00:05). --log gets
one line per request.

DDI side, as hawkBit serves it, for /{tenant}/controller/v1/{controllerId}
(the tenant is compared case-insensitively, like hawkBit's):

  GET    .                                   poll: config.polling.sleep and
                                             _links (cancelAction |
                                             deploymentBase, installedBase,
                                             configData); _links is left out
                                             when there is none, as hawkBit's
                                             HAL rendering does
  GET    deploymentBase/{actionId}[?actionHistory=N]
  POST   deploymentBase/{actionId}/feedback  200; 400 bad body; 410 Gone when
                                             the action is closed (hawkBit)
  GET    installedBase/{actionId}            the last finished action
  PUT    configData                          {"mode":..., "data":{...}}
  GET    cancelAction/{actionId}
  POST   cancelAction/{actionId}/feedback
  GET    softwaremodules/{smId}/artifacts    the artifact list
  GET    softwaremodules/{smId}/artifacts/{filename}[.MD5SUM]
                                             bytes (Range: bytes=N-, N-M,
                                             -N; 206, 416) or "md5  name"

Feedback moves the action as hawkBit does: closed+success (or downloaded,
for a downloadonly action) -> finished, and the target's installedBase;
closed+failure -> error; canceled -> canceled; the rest keeps it running.
On a cancel: closed+success -> canceled, closed+failure -> error,
rejected -> running again (deploymentBase is offered again). Feedback
must have status.execution and status.result.finished from the DDI
enumerations (else 400); other keys (id, time, code...) are accepted.

Every DDI request needs "Authorization: TargetToken T" (T registered for
that controller) or "GatewayToken G" (G = --gateway-token; an unknown
controller is then registered); otherwise 401 with a JSON error.

Management side (JSON bodies and answers, no authentication), for tests;
errors are 400 (bad body), 404 (unknown), 405, 409 (cancel of a closed
action) with {"errorCode", "message"}:

  POST /mgmt/targets {"tenant": "DEFAULT", "controller": C, "token": T}
       creates (201) or updates (200) a target -> {"tenant", "controller"}
  GET  /mgmt/targets/{tenant}/{controller}
       -> {"tenant", "controller", "attributes": {...},
           "attributes_requested": bool, "polls": N (authorized base polls),
           "installed_action": id | null, "auth": {"TargetToken": N, ...},
           "unauthorized": N, "requests": [[METHOD, PATH?QUERY], ...]}
  POST /mgmt/targets/{tenant}/{controller}/request-attributes
       configData is offered again -> {"requested": true}
  POST /mgmt/actions {"tenant", "controller", "type": forced | soft |
       downloadonly | timeforced, "download", "update" (forced | attempt |
       skip; default from the type, as hawkBit: update skip while the
       maintenance window is unavailable), "maintenanceWindow": available |
       unavailable | null, "chunks": [{"part", "name", "version", "metadata",
       "artifacts": [{"path": FILE, "filename", "sha1", "md5", "sha256",
       "size" (announced values; computed from FILE unless given),
       "cut_after": N}]}]}                            -> 201 {"id": "1"}
       (an unknown target is created, without a token)
  PUT  /mgmt/actions/{id} {"maintenanceWindow", "download", "update"}
  POST /mgmt/actions/{id}/cancel                      -> status canceling
  GET  /mgmt/actions/{id}  (PUT and cancel answer the same)
       -> {"id", "tenant", "controller", "type", "download", "update",
           "maintenanceWindow", "status": running | finished | error |
           canceled | canceling, "modules": [ids], "feedback": [bodies],
           "cancel_feedback": [bodies], "rejected_feedback": [{"status": 400
           | 410, "body": text}], "downloads": [{"filename", "range_start",
           "bytes_sent", "status": 200 | 206 | 416, "cut": bool}]}

An artifact's cut_after N: the first download of it that would send more
than N body bytes sends N of them (under the full Content-Length) and
closes the connection, so the client has to resume with a Range request.
"""

import argparse
import hashlib
import json
import os
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, unquote, urlsplit

EXECUTIONS = ("proceeding", "closed", "canceled", "rejected", "resumed", "scheduled",
              "download", "downloaded")
FINISHED = ("success", "failure", "none")
HANDLING = ("forced", "attempt", "skip")
WINDOWS = ("available", "unavailable")
# Action type -> (download, update) handling, as hawkBit derives them
# (a time-forced action is taken as forced: this server has no clock for it).
TYPES = {
    "forced": ("forced", "forced"),
    "soft": ("attempt", "attempt"),
    "timeforced": ("forced", "forced"),
    "downloadonly": ("forced", "skip"),
}
OPEN = ("running", "canceling")
CONFIG_MODES = ("merge", "replace", "remove")
CHUNK = 65536


class HttpError(Exception):
    """An error answer: status, hawkBit-like errorCode, message."""

    def __init__(self, status, code, message):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def bad_request(message):
    return HttpError(400, "hawkbit.server.error.rest.body.notReadable", message)


def not_found(message):
    return HttpError(404, "hawkbit.server.error.repo.entitiyNotFound", message)


def java_int(data):
    """A signed 32-bit integer from bytes (like the c= value hawkBit puts in hrefs)."""
    return int.from_bytes(hashlib.sha256(data).digest()[:4], "big", signed=True)


class Artifact:
    def __init__(self, spec):
        if not isinstance(spec, dict):
            raise bad_request("an artifact must be an object")
        path = spec.get("path")
        if not isinstance(path, str) or not os.path.isfile(path):
            raise bad_request(f"artifact path is not a file: {path!r}")
        self.path = path
        self.filename = spec.get("filename") or os.path.basename(path)
        if not isinstance(self.filename, str) or "/" in self.filename:
            raise bad_request(f"bad artifact filename: {self.filename!r}")
        sums = {"sha1": hashlib.sha1(), "md5": hashlib.md5(), "sha256": hashlib.sha256()}
        size = 0
        with open(path, "rb") as f:
            while True:
                block = f.read(1 << 20)
                if not block:
                    break
                size += len(block)
                for h in sums.values():
                    h.update(block)
        self.real_size = size
        self.hashes = {k: h.hexdigest() for k, h in sums.items()}
        # Overrides: a test may announce a wrong hash or size on purpose.
        for k in ("sha1", "md5", "sha256"):
            if spec.get(k) is not None:
                if not isinstance(spec[k], str):
                    raise bad_request(f"artifact {k} must be a string")
                self.hashes[k] = spec[k]
        self.size = size if spec.get("size") is None else spec["size"]
        cut = spec.get("cut_after")
        for name, v in (("size", self.size), ("cut_after", cut)):
            if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < 0):
                raise bad_request(f"artifact {name} must be a non-negative integer")
        self.cut_after = cut
        self.cut_done = False
        self.requests = 0

    def describe(self, base, module_id):
        url = f"{base}/softwaremodules/{module_id}/artifacts/{quote(self.filename)}"
        return {
            "filename": self.filename,
            "hashes": dict(self.hashes),
            "size": self.size,
            "_links": {
                "download-http": {"href": url},
                "md5sum-http": {"href": url + ".MD5SUM"},
            },
        }


class Module:
    """A software module: one chunk of one action."""

    def __init__(self, mid, action_id, spec):
        if not isinstance(spec, dict):
            raise bad_request("a chunk must be an object")
        self.id = mid
        self.action_id = action_id
        self.part = str(spec.get("part", "os"))
        self.name = str(spec.get("name", "software"))
        self.version = str(spec.get("version", "1.0"))
        self.metadata = spec.get("metadata")
        arts = spec.get("artifacts", [])
        if not isinstance(arts, list):
            raise bad_request("chunk artifacts must be a list")
        self.artifacts = [Artifact(a) for a in arts]

    def describe(self, base):
        d = {
            "part": self.part,
            "version": self.version,
            "name": self.name,
            "artifacts": [a.describe(base, self.id) for a in self.artifacts],
        }
        if self.metadata is not None:
            d["metadata"] = self.metadata
        return d


class Target:
    def __init__(self, tenant, controller, token=None):
        self.tenant = tenant
        self.controller = controller
        self.token = token
        self.attributes = {}
        self.attributes_requested = True   # until the target sends some
        self.polls = 0
        self.requests = []
        self.auth = {}                     # scheme -> accepted requests
        self.unauthorized = 0
        self.installed_action = None


class Action:
    def __init__(self, aid, target, spec):
        self.id = aid
        self.target = target
        typ = spec.get("type", "forced")
        if typ not in TYPES:
            raise bad_request(f"unknown action type {typ!r} (one of {', '.join(TYPES)})")
        self.type = typ
        self.download = None
        self.update = None
        self.window = None
        self.configure(spec)
        self.modules = []
        self.status = "running"
        self.feedback = []
        self.cancel_feedback = []
        self.rejected_feedback = []
        self.downloads = []
        self.history = []                  # (status, messages) per feedback, oldest first

    def configure(self, spec):
        for key in ("download", "update"):
            if key in spec:
                v = spec[key]
                if v is not None and v not in HANDLING:
                    raise bad_request(f"{key} must be one of {', '.join(HANDLING)}")
                setattr(self, key, v)
        if "maintenanceWindow" in spec:
            v = spec["maintenanceWindow"]
            if v is not None and v not in WINDOWS:
                raise bad_request("maintenanceWindow must be available, unavailable or null")
            self.window = v

    def handling(self):
        """(download, update) as offered: explicit values, else hawkBit's rules."""
        download, update = TYPES[self.type]
        if self.download is not None:
            download = self.download
        if self.type != "downloadonly":
            update = download
            if self.window == "unavailable":
                update = "skip"
        if self.update is not None:
            update = self.update
        return download, update

    def deployment(self, base):
        download, update = self.handling()
        d = {"download": download, "update": update}
        if self.window is not None:
            d["maintenanceWindow"] = self.window
        d["chunks"] = [m.describe(base) for m in self.modules]
        return d

    def etag(self):
        """The c= value: changes whenever the deployment JSON changes."""
        return java_int(json.dumps(self.deployment(""), sort_keys=True).encode())

    def base(self, base, history):
        out = {"id": str(self.id), "deployment": self.deployment(base)}
        if history:
            msgs = []
            for _status, m in reversed(self.history):
                msgs.extend(m)
            if history > 0:
                msgs = msgs[:history]
            if msgs:
                out["actionHistory"] = {"status": self.status.upper(), "messages": msgs}
        return out

    def mgmt(self):
        download, update = self.handling()
        return {
            "id": str(self.id),
            "tenant": self.target.tenant,
            "controller": self.target.controller,
            "type": self.type,
            "download": download,
            "update": update,
            "maintenanceWindow": self.window,
            "status": self.status,
            "modules": [str(m.id) for m in self.modules],
            "feedback": list(self.feedback),
            "cancel_feedback": list(self.cancel_feedback),
            "rejected_feedback": list(self.rejected_feedback),
            "downloads": list(self.downloads),
        }


class State:
    def __init__(self, sleep, gateway_token):
        self.lock = threading.Lock()
        self.sleep = sleep
        self.gateway_token = gateway_token
        self.targets = {}     # (TENANT, controller) -> Target
        self.actions = {}     # id -> Action
        self.modules = {}     # id -> Module
        self.next_action = 1
        self.next_module = 1

    @staticmethod
    def key(tenant, controller):
        return (tenant.upper(), controller)

    def target(self, tenant, controller):
        t = self.targets.get(self.key(tenant, controller))
        if t is None:
            raise not_found(f"no target {controller} in tenant {tenant}")
        return t

    def action(self, aid):
        a = self.actions.get(int(aid)) if aid.isdigit() else None
        if a is None:
            raise not_found(f"no action {aid}")
        return a

    def open_actions(self, target):
        return [a for _, a in sorted(self.actions.items()) if a.target is target and a.status in OPEN]


def parse_json(body):
    try:
        v = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise bad_request(f"malformed JSON: {e}")
    if not isinstance(v, dict):
        raise bad_request("the body must be a JSON object")
    return v


def parse_feedback(body):
    """Validate a DdiActionFeedback; returns (parsed, execution, finished)."""
    fb = parse_json(body)
    status = fb.get("status")
    if not isinstance(status, dict):
        raise bad_request("feedback without a status object")
    execution = status.get("execution")
    if execution not in EXECUTIONS:
        raise bad_request(f"status.execution {execution!r} is not one of {', '.join(EXECUTIONS)}")
    result = status.get("result")
    if not isinstance(result, dict):
        raise bad_request("feedback without status.result")
    finished = result.get("finished")
    if finished not in FINISHED:
        raise bad_request(f"status.result.finished {finished!r} is not one of {', '.join(FINISHED)}")
    progress = result.get("progress")
    if progress is not None and not isinstance(progress, dict):
        raise bad_request("status.result.progress must be an object")
    details = status.get("details")
    if details is not None and not (isinstance(details, list) and all(isinstance(d, str) for d in details)):
        raise bad_request("status.details must be a list of strings")
    code = status.get("code")
    if code is not None and (not isinstance(code, int) or isinstance(code, bool)):
        raise bad_request("status.code must be an integer")
    return fb, execution, finished


def feedback_messages(fb, execution):
    status = fb["status"]
    msgs = list(status.get("details") or [])
    if status.get("code") is not None:
        msgs.append(f"Device reported status code: {status['code']}")
    if not msgs:
        msgs.append(f"Update Server: Target reported {execution}.")
    return msgs


def parse_range(header, size):
    """(start, end inclusive) of a Range header, None to ignore it, or 'bad' (416)."""
    m = re.fullmatch(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*", header or "")
    if not m or (m.group(1) == "" and m.group(2) == ""):
        return None   # absent, multiple ranges or another unit: the whole file
    if m.group(1) == "":
        n = int(m.group(2))
        if n == 0 or size == 0:
            return "bad"
        return max(0, size - n), size - 1
    start = int(m.group(1))
    end = int(m.group(2)) if m.group(2) else size - 1
    if start >= size or end < start:
        return "bad"
    return start, min(end, size - 1)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ddi-test-server/1"
    state = None   # set by main()
    log_file = None
    log_lock = threading.Lock()

    # ------------------------------------------------------------ plumbing

    def log_message(self, fmt, *args):
        line = "%s %s %s\n" % (time.strftime("%H:%M:%S"), self.address_string(), fmt % args)
        with self.log_lock:
            if self.log_file is not None:
                self.log_file.write(line)
                self.log_file.flush()

    def read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def send(self, status, body=b"", ctype="application/json", headers=None):
        self.send_response(status)
        if body or status not in (200, 204):
            self.send_header("Content-Type", ctype)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_json(self, status, obj):
        self.send(status, json.dumps(obj).encode() + b"\n", "application/hal+json;charset=UTF-8")

    def send_error_json(self, e):
        self.send_json(e.status, {"errorCode": e.code, "message": e.message})

    # Answers are made while the state's lock is held and sent after it is
    # released (a slow client never holds up the others).
    def reply(self, status, body=b"", ctype="application/json", headers=None):
        self.pending = (status, body, ctype, headers)

    def reply_json(self, status, obj):
        self.reply(status, json.dumps(obj).encode() + b"\n", "application/hal+json;charset=UTF-8")

    def dispatch(self):
        try:
            self.body = b""
            self.pending = None
            self.download = None
            if self.command in ("POST", "PUT"):
                self.body = self.read_body()
            url = urlsplit(self.path)
            self.query = parse_qs(url.query)
            parts = [unquote(p) for p in url.path.split("/") if p != ""]
            if parts and parts[0] == "mgmt":
                self.mgmt(parts[1:])
            elif len(parts) >= 4 and parts[1] == "controller" and parts[2] == "v1":
                self.ddi(parts[0], parts[3], parts[4:])
            else:
                raise not_found(f"no resource {url.path}")
            if self.download is not None:
                self.serve_artifact(*self.download)
            elif self.pending is not None:
                self.send(*self.pending)
        except HttpError as e:
            self.send_error_json(e)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = dispatch

    def base_url(self, tenant, controller):
        host = self.headers.get("Host") or "127.0.0.1:%d" % self.server.server_address[1]
        return f"http://{host}/{quote(tenant)}/controller/v1/{quote(controller)}"

    def need(self, *methods):
        if self.command not in methods:
            raise HttpError(405, "hawkbit.server.error.rest.methodNotAllowed",
                            f"{self.command} not allowed here ({', '.join(methods)})")

    # ------------------------------------------------------------ DDI

    def authenticate(self, tenant, controller):
        """The target, if the request's token lets it in (holds the lock)."""
        st = self.state
        auth = (self.headers.get("Authorization") or "").strip()
        scheme, _, token = auth.partition(" ")
        scheme, token = scheme.lower(), token.strip()
        t = st.targets.get(st.key(tenant, controller))
        ok = None
        if scheme == "targettoken" and t is not None and t.token and token == t.token:
            ok = "TargetToken"
        elif scheme == "gatewaytoken" and st.gateway_token and token == st.gateway_token:
            ok = "GatewayToken"
            if t is None:
                t = Target(tenant, controller)
                st.targets[st.key(tenant, controller)] = t
        if t is not None:
            t.requests.append([self.command, self.path])
        if ok is None:
            if t is not None:
                t.unauthorized += 1
            raise HttpError(401, "hawkbit.server.error.unauthorized",
                            f"authentication failed for controller {controller}: a valid "
                            "'Authorization: TargetToken ...' or 'GatewayToken ...' header is needed")
        t.auth[ok] = t.auth.get(ok, 0) + 1
        return t

    def ddi(self, tenant, controller, rest):
        st = self.state
        with st.lock:
            t = self.authenticate(tenant, controller)
            base = self.base_url(tenant, controller)
            if not rest:
                self.need("GET")
                t.polls += 1
                return self.reply_json(200, self.poll(t, base))
            kind = rest[0]
            if kind == "configData" and len(rest) == 1:
                self.need("PUT")
                self.config_data(t)
                return self.reply(200)
            if kind in ("deploymentBase", "installedBase", "cancelAction") and len(rest) in (2, 3):
                a = st.actions.get(int(rest[1])) if rest[1].isdigit() else None
                if a is None or a.target is not t:
                    raise not_found(f"action {rest[1]} is not assigned to {controller}")
                if len(rest) == 3:
                    if rest[2] != "feedback" or kind == "installedBase":
                        raise not_found(f"no resource {self.path}")
                    self.need("POST")
                    if kind == "deploymentBase":
                        return self.action_feedback(a)
                    return self.cancel_feedback(a)
                self.need("GET")
                if kind == "deploymentBase":
                    if a.status != "running":
                        raise not_found(f"action {a.id} is not open for deployment ({a.status})")
                    return self.reply_json(200, a.base(base, self.history_count()))
                if kind == "installedBase":
                    if a.status != "finished":
                        raise not_found(f"action {a.id} is not installed ({a.status})")
                    return self.reply_json(200, a.base(base, self.history_count()))
                if a.status != "canceling":
                    raise not_found(f"action {a.id} has no cancel pending ({a.status})")
                return self.reply_json(200, {"id": str(a.id), "cancelAction": {"stopId": str(a.id)}})
            if kind == "softwaremodules" and len(rest) in (3, 4) and rest[2] == "artifacts":
                m = st.modules.get(int(rest[1])) if rest[1].isdigit() else None
                if m is None or st.actions[m.action_id].target is not t:
                    raise not_found(f"software module {rest[1]} is not assigned to {controller}")
                if len(rest) == 3:
                    self.need("GET")
                    return self.reply_json(200, [a.describe(base, m.id) for a in m.artifacts])
                self.need("GET", "HEAD")
                name = rest[3]
                art = next((a for a in m.artifacts if a.filename == name), None)
                if art is None and name.endswith(".MD5SUM"):
                    art = next((a for a in m.artifacts if a.filename == name[:-7]), None)
                    if art is not None:
                        body = f"{art.hashes['md5']}  {art.filename}".encode("ascii", "replace")
                        return self.reply(200, body, "text/plain", {
                            "Content-Disposition": f"attachment;filename={quote(art.filename)}.MD5SUM"})
                if art is None:
                    raise not_found(f"no artifact {name} in software module {m.id}")
                # Streamed by dispatch, once the lock is released.
                self.download = (st.actions[m.action_id], art) + self.plan_download(art)
                return
            raise not_found(f"no resource {self.path}")

    def history_count(self):
        v = self.query.get("actionHistory", ["0"])[0]
        try:
            return int(v)
        except ValueError:
            raise bad_request(f"actionHistory must be an integer, not {v!r}")

    def poll(self, t, base):
        links = {}
        open_actions = self.state.open_actions(t)
        canceling = [a for a in open_actions if a.status == "canceling"]
        running = [a for a in open_actions if a.status == "running"]
        if canceling:
            links["cancelAction"] = {"href": f"{base}/cancelAction/{canceling[0].id}"}
        elif running:
            a = running[0]
            links["deploymentBase"] = {"href": f"{base}/deploymentBase/{a.id}?c={a.etag()}"}
        if t.installed_action is not None:
            links["installedBase"] = {"href": f"{base}/installedBase/{t.installed_action}"}
        if t.attributes_requested:
            links["configData"] = {"href": f"{base}/configData"}
        out = {"config": {"polling": {"sleep": self.state.sleep}}}
        if links:
            out["_links"] = links
        return out

    def reject(self, a, e):
        a.rejected_feedback.append({"status": e.status, "body": self.body.decode("utf-8", "replace")})
        raise e

    def action_feedback(self, a):
        try:
            fb, execution, finished = parse_feedback(self.body)
        except HttpError as e:
            self.reject(a, e)
        if a.status not in OPEN:
            # hawkBit: "Updating action ... not possible since action not active anymore."
            self.reject(a, HttpError(410, "hawkbit.server.error.action.closed",
                                     f"action {a.id} is closed ({a.status}); no more feedback"))
        a.feedback.append(fb)
        a.history.append((execution, feedback_messages(fb, execution)))
        if execution == "closed":
            if finished == "failure":
                a.status = "error"
            else:
                a.status = "finished"
                a.target.installed_action = a.id
        elif execution == "canceled":
            a.status = "canceled"
        elif execution == "downloaded" and a.type == "downloadonly":
            a.status = "finished"
            a.target.installed_action = a.id
        self.reply(200)

    def cancel_feedback(self, a):
        try:
            fb, execution, finished = parse_feedback(self.body)
        except HttpError as e:
            self.reject(a, e)
        a.cancel_feedback.append(fb)
        a.history.append((execution, feedback_messages(fb, execution)))
        if a.status == "canceling":
            if execution == "closed":
                a.status = "error" if finished == "failure" else "canceled"
            elif execution == "rejected":
                a.status = "running"
        self.reply(200)

    def config_data(self, t):
        body = parse_json(self.body)
        mode = body.get("mode", "merge")
        if mode is None:
            mode = "merge"
        if mode not in CONFIG_MODES:
            raise bad_request(f"mode {mode!r} is not one of {', '.join(CONFIG_MODES)}")
        data = body.get("data")
        if not isinstance(data, dict):
            raise bad_request("configData needs a data object")
        for k, v in data.items():
            if not isinstance(v, str):
                raise bad_request(f"attribute {k!r}: the value must be a string, not {json.dumps(v)}")
        if mode == "replace":
            t.attributes = dict(data)
        elif mode == "remove":
            for k in data:
                t.attributes.pop(k, None)
        else:
            t.attributes.update(data)
        t.attributes_requested = False

    # ------------------------------------------------------------ artifacts

    def plan_download(self, art):
        """(status, start, length, cut) for this request (holds the lock)."""
        art.requests += 1
        size = art.real_size
        rng = parse_range(self.headers.get("Range"), size)
        if rng == "bad":
            return 416, 0, 0, None
        if rng is None:
            status, start, length = 200, 0, size
        else:
            status, start, length = 206, rng[0], rng[1] - rng[0] + 1
        cut = None
        if art.cut_after is not None and not art.cut_done and length > art.cut_after and self.command == "GET":
            art.cut_done = True
            cut = art.cut_after
        return status, start, length, cut

    def serve_artifact(self, action, art, status, start, length, cut):
        sent = 0
        try:
            if status == 416:
                self.send(416, b"", "text/plain", {"Content-Range": f"bytes */{art.real_size}"})
                return
            self.send_response(status)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(length))
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("ETag", f'"{art.hashes["sha1"]}"')
            self.send_header("Content-Disposition", f"attachment;filename={quote(art.filename)}")
            if status == 206:
                self.send_header("Content-Range", f"bytes {start}-{start + length - 1}/{art.real_size}")
            if cut is not None:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command == "HEAD":
                return
            todo = length if cut is None else cut
            with open(art.path, "rb") as f:
                f.seek(start)
                while sent < todo:
                    block = f.read(min(CHUNK, todo - sent))
                    if not block:
                        break
                    self.wfile.write(block)
                    sent += len(block)
            self.wfile.flush()
            if cut is not None:
                self.close_connection = True
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            if self.command == "GET":
                with self.state.lock:
                    action.downloads.append({"filename": art.filename, "range_start": start if status != 416 else None,
                                             "bytes_sent": sent, "status": status, "cut": cut is not None})

    # ------------------------------------------------------------ management

    def mgmt(self, parts):
        st = self.state
        with st.lock:
            if parts == ["targets"]:
                self.need("POST")
                b = parse_json(self.body)
                tenant, controller, token = b.get("tenant", "DEFAULT"), b.get("controller"), b.get("token")
                if not isinstance(tenant, str) or not tenant or not isinstance(controller, str) or not controller:
                    raise bad_request("a target needs a tenant and a controller (strings)")
                if token is not None and not isinstance(token, str):
                    raise bad_request("token must be a string")
                t = st.targets.get(st.key(tenant, controller))
                created = t is None
                if created:
                    t = Target(tenant, controller)
                    st.targets[st.key(tenant, controller)] = t
                t.token = token
                return self.reply_json(201 if created else 200, {"tenant": t.tenant, "controller": controller})
            if len(parts) in (3, 4) and parts[0] == "targets":
                t = st.target(parts[1], parts[2])
                if len(parts) == 4:
                    if parts[3] != "request-attributes":
                        raise not_found(f"no resource {self.path}")
                    self.need("POST")
                    t.attributes_requested = True
                    return self.reply_json(200, {"requested": True})
                self.need("GET")
                return self.reply_json(200, {
                    "tenant": t.tenant,
                    "controller": t.controller,
                    "attributes": dict(t.attributes),
                    "attributes_requested": t.attributes_requested,
                    "polls": t.polls,
                    "installed_action": None if t.installed_action is None else str(t.installed_action),
                    "auth": dict(t.auth),
                    "unauthorized": t.unauthorized,
                    "requests": [list(r) for r in t.requests],
                })
            if parts == ["actions"]:
                self.need("POST")
                return self.create_action(parse_json(self.body))
            if len(parts) in (2, 3) and parts[0] == "actions":
                a = st.action(parts[1])
                if len(parts) == 3:
                    if parts[2] != "cancel":
                        raise not_found(f"no resource {self.path}")
                    self.need("POST")
                    if a.status not in OPEN:
                        raise HttpError(409, "hawkbit.server.error.action.cancelNotAllowed",
                                        f"action {a.id} is {a.status}: it cannot be canceled")
                    a.status = "canceling"
                    return self.reply_json(200, a.mgmt())
                self.need("GET", "PUT")
                if self.command == "PUT":
                    spec = parse_json(self.body)
                    unknown = set(spec) - {"maintenanceWindow", "download", "update"}
                    if unknown:
                        raise bad_request(f"unknown keys: {', '.join(sorted(unknown))}")
                    a.configure(spec)
                return self.reply_json(200, a.mgmt())
            raise not_found(f"no management resource {self.path}")

    def create_action(self, spec):
        st = self.state
        tenant, controller = spec.get("tenant", "DEFAULT"), spec.get("controller")
        if not isinstance(tenant, str) or not isinstance(controller, str) or not controller:
            raise bad_request("an action needs a tenant and a controller (strings)")
        t = st.targets.get(st.key(tenant, controller))
        if t is None:
            t = Target(tenant, controller)
            st.targets[st.key(tenant, controller)] = t
        chunks = spec.get("chunks", [])
        if not isinstance(chunks, list):
            raise bad_request("chunks must be a list")
        a = Action(st.next_action, t, spec)
        modules = []
        for i, c in enumerate(chunks):
            modules.append(Module(st.next_module + i, a.id, c))
        # Only now that everything parsed: take the ids.
        st.next_action += 1
        st.next_module += len(modules)
        a.modules = modules
        for m in modules:
            st.modules[m.id] = m
        st.actions[a.id] = a
        self.reply_json(201, {"id": str(a.id)})


def main():
    ap = argparse.ArgumentParser(description="hawkBit DDI test server (plain HTTP on 127.0.0.1)")
    ap.add_argument("--port-file", required=True, help="write the port here once listening")
    ap.add_argument("--port", type=int, default=0, help="port (0: a free one)")
    ap.add_argument("--sleep", default="00:00:05", help="polling interval told to devices, HH:MM:SS")
    ap.add_argument("--gateway-token", default=None, help="accept 'Authorization: GatewayToken TOKEN'")
    ap.add_argument("--log", default=None, help="one line per request")
    args = ap.parse_args()
    if not re.fullmatch(r"\d\d:[0-5]\d:[0-5]\d", args.sleep):
        ap.error("--sleep must be HH:MM:SS")
    Handler.state = State(args.sleep, args.gateway_token)
    if args.log:
        Handler.log_file = open(args.log, "a", buffering=1)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % server.server_address[1])
    os.replace(tmp, args.port_file)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    import signal
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    sys.exit(main())
