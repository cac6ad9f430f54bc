"""Talk to one `netrun lab` EOS device with pyeapi, Arista's own eAPI client,
and print what it saw as one JSON object (read by tests/integration/http.rs).

usage: pyeapi-check.py PORT CA_FILE USERNAME PASSWORD
"""
import json
import ssl
import sys

import pyeapi

port, ca, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
ctx = ssl.create_default_context(cafile=ca)


def node(pw):
    return pyeapi.connect(transport="https", host="127.0.0.1", port=port, username=user,
                          password=pw, context=ctx, return_node=True)


out = {}
n = node(password)
version, interfaces = n.enable(["show version", "show interfaces"])
out["model"] = version["result"]["modelName"]
out["serial"] = version["result"]["serialNumber"]
out["version"] = n.version
out["interfaces"] = sorted(interfaces["result"]["interfaces"])
out["text"] = n.run_commands(["show version"], encoding="text")[0]["output"]
try:
    n.enable(["show bogus"])
    out["bogus"] = None
except pyeapi.eapilib.CommandError as e:
    out["bogus"] = {"code": e.error_code, "message": e.error_text}
try:
    node("wrong-" + password).enable(["show version"])
    out["wrong_password"] = None
except pyeapi.eapilib.ConnectionError as e:
    out["wrong_password"] = str(e.message)
print(json.dumps(out))
