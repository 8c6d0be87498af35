# Schemathesis hooks (SCHEMATHESIS_HOOKS=<this file>): signs intake requests as the commerce system
# does, so POST /api/orders is tested past its signature check. The key comes from the
# environment of the run (INTAKE_HMAC_SECRET), set by scripts/schemathesis.ts.
import hashlib
import hmac
import os
import time

import schemathesis
from requests.compat import json as requests_json
from schemathesis.core import NotSet


@schemathesis.hook
def before_call(context, case, **kwargs):
    if case.operation.method.upper() != "POST" or case.operation.path != "/api/orders":
        return
    secret = os.environ.get("INTAKE_HMAC_SECRET")
    if not secret:
        return
    # The exact bytes requests will send for `json=` bodies; the signature covers them.
    try:
        raw = b"" if isinstance(case.body, NotSet) else requests_json.dumps(case.body, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError):
        return  # not JSON: left unsigned, and answered 401 like any unsigned request
    timestamp = str(int(time.time()))
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + raw, hashlib.sha256).hexdigest()
    case.headers = {**(case.headers or {}), "X-Signature": f"t={timestamp},v1={mac}"}
