# -*- coding: utf-8 -*-
# Copyright: contributors to mlinfra.gpu
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Slurm node sources for the mlinfra.gpu.slurm inventory plugin.

The pure parsing (GRES strings, ``scontrol show node --oneliner`` text, the JSON node objects of slurmrestd /
``--json`` in the OpenAPI shapes of Slurm 21.08 to 25.x) lives in plugins/module_utils/_slurm_text.py, shared with
the modules that run on nodes, and is re-exported here; this file adds the hostvars and two small clients: slurmrestd
over HTTP and the ``scontrol`` CLI. Nothing here touches the Ansible inventory.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import socket
import subprocess
import time
from http.client import HTTPException, IncompleteRead

from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.urls import open_url
from ansible_collections.mlinfra.gpu.plugins.plugin_utils._gpuhost import gpu_hostvars
from ansible_collections.mlinfra.gpu.plugins.module_utils._slurm_text import (  # noqa: F401  pylint: disable=unused-import
    BASE_STATES, SlurmSourceError, gres_gpus, node_state, nodes_from_raw, parse_gres, parse_scontrol_oneliner)

# Newest first: the REST client probes these when api_version is auto.
REST_API_VERSIONS = ("v0.0.42", "v0.0.41", "v0.0.40", "v0.0.39", "v0.0.38", "v0.0.37")
# Answers worth another try: a proxy or slurmrestd that is restarting or overloaded.
RETRY_HTTP_STATUS = (502, 503, 504)
# Network failures worth another try (http.client.RemoteDisconnected is a ConnectionResetError; socket.timeout is
# TimeoutError). A refused connection or an unknown host name is a configuration error: reported at once.
_TRANSIENT_ERRORS = (ConnectionResetError, ConnectionAbortedError, BrokenPipeError, TimeoutError, socket.timeout,
                     IncompleteRead)


class _Transient(Exception):
    """A slurmrestd failure worth another try; the message says what came back."""


def node_hostvars(node):
    """Hostvars for one normalised node: the common ``gpu_*`` plus ``slurm_*``."""
    hostvars = gpu_hostvars(gres_gpus(node["gres"]))
    hostvars.update({
        "slurm_address": node["address"],
        "slurm_hostname": node["hostname"],
        "slurm_partitions": node["partitions"],
        "slurm_state": node_state(node["base_state"], node["state_flags"]),
        "slurm_state_flags": [f.lower() for f in node["state_flags"]],
        "slurm_cpus": node["cpus"],
        "slurm_real_memory_mb": node["real_memory"],
        "slurm_gres": node["gres"],
        "slurm_reason": node["reason"],
    })
    return hostvars


def _error_messages(errors):
    messages = []
    for err in errors or []:
        if isinstance(err, dict):
            text = err.get("description") or err.get("error") or json.dumps(err)
            number = err.get("error_number", err.get("errno"))
            if number is not None:
                text = "%s (error %s)" % (text, number)
            messages.append(str(text))
        else:
            messages.append(str(err))
    return messages


class SlurmRestClient:
    """Reads ``GET /slurm/<version>/nodes`` from slurmrestd with JWT headers.

    Transient failures (connection reset, timeout, HTTP 502/503/504) are retried up to ``retries`` times, waiting
    ``retry_backoff`` seconds, then twice as long each time; no new try starts once ``retry_max_time`` seconds would
    be passed.
    """

    def __init__(self, url, user, token, api_version="auto", timeout=30, validate_certs=True, opener=None, retries=3,
                 retry_backoff=1.0, retry_max_time=60, sleep=None, clock=None):
        if not url:
            raise SlurmSourceError("no slurmrestd URL (set 'url' or SLURM_RESTD_URL)")
        if not re.match(r"^https?://", url):
            raise SlurmSourceError("url must start with http:// or https://, got %r" % url)
        if not token:
            raise SlurmSourceError("no JWT token (set 'token' or SLURM_JWT)")
        if not user:
            raise SlurmSourceError("no user name for X-SLURM-USER-NAME: set the option 'user' or the environment variable "
                                   "SLURM_REST_USER to the user the JWT token was made for ($USER is not used)")
        if api_version != "auto" and api_version not in REST_API_VERSIONS:
            raise SlurmSourceError("api_version must be auto or one of %s, got %r" % (", ".join(REST_API_VERSIONS), api_version))
        for name, value in (("retries", retries), ("retry_backoff", retry_backoff), ("retry_max_time", retry_max_time)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise SlurmSourceError("%s must be a number of at least 0, got %r" % (name, value))
        self.url = url.rstrip("/")
        self.user = user
        self.token = token
        self.api_version = api_version
        self.timeout = timeout
        self.validate_certs = validate_certs
        self.opener = opener or open_url
        self.retries = retries
        self.retry_backoff = retry_backoff
        self.retry_max_time = retry_max_time
        self.sleep = sleep or time.sleep
        self.clock = clock or time.monotonic

    def _attempt(self, url):
        """``(status, body)`` of one request; raises ``_Transient`` for a failure worth another try."""
        headers = {"X-SLURM-USER-NAME": self.user, "X-SLURM-USER-TOKEN": self.token, "Accept": "application/json"}
        try:
            response = self.opener(url, method="GET", headers=headers, timeout=self.timeout,
                                   validate_certs=self.validate_certs)
            return response.getcode(), response.read()
        except HTTPError as e:
            try:
                body = e.read()
            except Exception:  # pylint: disable=broad-except
                body = b""
            if e.code in RETRY_HTTP_STATUS:
                raise _Transient("HTTP %s %s" % (e.code, body.decode("utf-8", "replace").strip()[:200]))
            return e.code, body
        except (URLError, HTTPException, OSError) as e:
            reason = getattr(e, "reason", e)
            if isinstance(e, _TRANSIENT_ERRORS) or isinstance(reason, _TRANSIENT_ERRORS):
                raise _Transient("%s: %s" % (type(reason).__name__, reason))
            raise SlurmSourceError("cannot reach slurmrestd at %s: %s" % (self.url, reason))

    def _get(self, version):
        url = "%s/slurm/%s/nodes" % (self.url, version)
        start = self.clock()
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._attempt(url)
            except _Transient as e:
                why = str(e)
            delay = self.retry_backoff * 2 ** (attempt - 1)
            elapsed = self.clock() - start
            if attempt > self.retries or elapsed + delay > self.retry_max_time:
                raise SlurmSourceError("%s: gave up after %d attempt(s) in %.1fs (retries=%s, retry_max_time=%s): %s"
                                       % (url, attempt, elapsed, self.retries, self.retry_max_time, why))
            self.sleep(delay)

    def get_nodes(self):
        """Raw ``{"format": "json", "data": {...}, "api_version": v}``; raises SlurmSourceError with the cause."""
        versions = REST_API_VERSIONS if self.api_version == "auto" else (self.api_version,)  # pragma: no mutate: auto or v0.0.NN: only auto <= "auto"
        for version in versions:
            status, body = self._get(version)
            if status == 404 and self.api_version == "auto":
                continue
            return {"format": "json", "api_version": version, "data": self._decode(version, status, body)}
        raise SlurmSourceError("slurmrestd at %s serves none of the node APIs %s (HTTP 404)" % (self.url, ", ".join(versions)))

    def _decode(self, version, status, body):
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body or "")
        where = "slurmrestd %s/slurm/%s/nodes" % (self.url, version)
        if status in (401, 403):
            raise SlurmSourceError("%s: HTTP %s %s - authentication failed or permission denied for user %r (check the JWT "
                                   "token and user)" % (where, status, text.strip()[:200], self.user))
        try:
            data = json.loads(text)
        except ValueError:
            raise SlurmSourceError("%s: HTTP %s, response is not JSON: %r" % (where, status, text[:200]))
        if not isinstance(data, dict):
            raise SlurmSourceError("%s: malformed response: expected a JSON object" % where)
        errors = _error_messages(data.get("errors"))
        if errors:
            hint = ""
            if status >= 500 and not data.get("nodes"):
                hint = " (slurmrestd 22.05 answers a bad or expired JWT token this way: check the token and user)"
            raise SlurmSourceError("%s: HTTP %s, errors: %s%s" % (where, status, "; ".join(errors), hint))
        if status >= 400:
            raise SlurmSourceError("%s: HTTP %s %s" % (where, status, text.strip()[:200]))
        if not isinstance(data.get("nodes"), list):
            raise SlurmSourceError("%s: malformed response: no 'nodes' list" % where)
        return data


class SlurmCliClient:
    """Runs ``scontrol`` (``--json`` where supported, else ``show node --oneliner``)."""

    def __init__(self, scontrol="scontrol", cli_format="auto", timeout=60, env=None, runner=None):
        if cli_format not in ("auto", "json", "text"):
            raise SlurmSourceError("cli_format must be auto, json or text, got %r" % cli_format)
        self.scontrol = scontrol
        self.cli_format = cli_format
        self.timeout = timeout
        self.env = env
        self.runner = runner or self._run

    def _run(self, args):
        env = dict(os.environ)
        env.update(self.env or {})
        try:
            proc = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=self.timeout, env=env,
                                  check=False)
        except OSError as e:
            raise SlurmSourceError("cannot run %s: %s" % (args[0], e))
        except subprocess.TimeoutExpired:
            raise SlurmSourceError("%s timed out after %ss" % (" ".join(args), self.timeout))
        return proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")

    def get_nodes(self):
        """Raw ``{"format": "json"|"text", "data": ...}``."""
        if self.cli_format in ("auto", "json"):
            args = [self.scontrol, "--json", "show", "node"]
            rc, out, err = self.runner(args)
            unsupported = rc != 0 and re.search(r"unrecognized option|invalid option|unknown option", err)
            if not (unsupported and self.cli_format == "auto"):  # pragma: no mutate: auto, json or text: only auto <= "auto"
                self._check(args, rc, err)
                try:
                    data = json.loads(out)
                except ValueError:
                    raise SlurmSourceError("%s printed something that is not JSON: %r" % (" ".join(args), out[:200]))
                if not isinstance(data, dict) or not isinstance(data.get("nodes"), list):
                    raise SlurmSourceError("%s: malformed JSON: no 'nodes' list" % " ".join(args))
                errors = _error_messages(data.get("errors"))
                if errors:
                    raise SlurmSourceError("%s reported errors: %s" % (" ".join(args), "; ".join(errors)))
                return {"format": "json", "data": data}
        args = [self.scontrol, "show", "node", "--oneliner"]
        rc, out, err = self.runner(args)
        self._check(args, rc, err)
        return {"format": "text", "data": out}

    @staticmethod
    def _check(args, rc, err):
        if rc != 0:
            raise SlurmSourceError("%s failed (rc=%s): %s" % (" ".join(args), rc, err.strip()[:500] or "no error output"))
