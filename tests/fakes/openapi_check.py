#!/usr/bin/python3
"""openapi_check.py - check HTTP requests (and responses) against an OpenAPI
3.0 or 3.1 document, so a fake network server can refuse what the real
network would refuse.

The fakes in tests/fakes/ run every request they receive through this and
expose the problems; the integration tests assert there are none. It checks
what a client can get wrong:

  - the path matches a declared path template and the method is declared
    for it (literal paths win over templates: /2/tweets/search/recent is not
    /2/tweets/{id});
  - path parameters match their schemas;
  - query parameters: required ones are present, undeclared ones are
    refused (the query parameter of an apiKey security scheme the
    operation accepts, such as Google's ?key=, counts as declared), values are coerced by the declared schema (integer, number,
    boolean, arrays: comma-separated for style=form explode=false, repeated
    for explode=true) and validated (type, enum, minimum/maximum, pattern,
    minItems, uniqueItems, format ...); a non-array parameter given twice is
    refused;
  - required header parameters are present (Accept, Content-Type and
    Authorization are governed by other rules, as OpenAPI says);
  - security: when the operation (or the document) requires security, at
    least one alternative is present in form (Authorization: Bearer ... for
    http bearer and oauth2, Authorization: <Scheme> ... for other http
    schemes, the named header/query parameter for apiKey). Whether the
    credentials are *right* is the fake's business;
  - the request body: present when required, absent when none is declared,
    Content-Type among the declared media types, and the body valid against
    the schema (application/json, application/x-www-form-urlencoded and the
    simple fields of multipart/form-data).

Schemas are validated with python3-jsonschema (Draft 2020-12; Debian 12's
4.10 and newer releases alike). $ref is resolved against the whole
document. Formats are checked where jsonschema has a checker installed
(date-time needs rfc3339-validator, which Debian 12 does not install). OpenAPI 3.0 schemas are converted
first: `nullable: true` admits null, boolean exclusiveMinimum/Maximum
become numeric bounds; 3.0 keywords jsonschema does not know (example,
discriminator, xml ...) are annotations and ignored either way.

API (no state beyond the loaded document; safe to share between threads):

    from openapi_check import OpenApiChecker
    checker = OpenApiChecker("/path/to/openapi.json")   # or a dict
    problems = checker.check("GET", "/2/users/1/mentions?max_results=500",
                             headers={"Authorization": "Bearer x"})
    # -> ["GET /2/users/{id}/mentions: query parameter 'max_results': 500 is
    #      greater than the maximum of 100"]
    problems = checker.check("POST", "/2/tweets", query={}, headers=h,
                             body=b'{"text": "hi"}')
    op = checker.find("GET", "/2/users/1/mentions")  # Match or None
    problems = checker.check_response("GET", "/2/users/1/mentions", 200,
                                      {"Content-Type": "application/json"}, body)

check() arguments: method (any case); path (may carry "?query"); query
(None, a raw query string, or a dict of name -> value or list of values,
merged with the path's own query); headers (a dict or a list of pairs,
names case-insensitive); body (bytes, str or None). The result is a list
of one-line strings, empty when the request is valid.

Command line, for a quick look:  openapi_check.py SPEC METHOD PATH [BODY]
"""

import copy
import email.parser
import email.policy
import json
import re
import sys
from urllib.parse import parse_qsl, unquote, urlsplit

import jsonschema

try:  # jsonschema >= 4.18 resolves $ref through `referencing`
    import referencing
    import referencing.jsonschema
except ImportError:  # Debian 12's python3-jsonschema 4.10: RefResolver
    referencing = None

__all__ = ["OpenApiChecker", "Match"]

# The base URI the document is known by while validating. An https URI
# (never fetched) because RefResolver joins relative references with
# urljoin, which ignores non-hierarchical schemes such as urn:.
SPEC_URI = "https://openapi-check.invalid/document.json"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# OpenAPI: header parameters with these names are ignored.
IGNORED_HEADER_PARAMS = ("accept", "content-type", "authorization")


def _pointer_escape(token):
    return token.replace("~", "~0").replace("/", "~1")


def _convert_30(node):
    """OpenAPI 3.0 schema dialect -> JSON Schema 2020-12, in place, over the
    whole document (only schema-shaped objects are touched in effect)."""
    if isinstance(node, list):
        for item in node:
            _convert_30(item)
        return
    if not isinstance(node, dict):
        return
    for value in node.values():
        _convert_30(value)
    for bound, limit in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(node.get(bound), bool):
            if node[bound] and limit in node:
                node[bound] = node.pop(limit)
            else:
                del node[bound]
    if node.get("nullable") is True:
        del node["nullable"]
        kind = node.get("type")
        if isinstance(kind, str):
            node["type"] = [kind, "null"]
            if "enum" in node and None not in node["enum"]:
                node["enum"] = list(node["enum"]) + [None]
        elif kind is None:
            inner = {k: node.pop(k) for k in list(node.keys())}
            node["anyOf"] = [inner, {"type": "null"}]


class Match:
    """A request matched to a declared operation."""

    def __init__(self, template, method, operation, path_item, path_params, pointer):
        self.template = template          # "/2/users/{id}/mentions"
        self.method = method              # "get"
        self.operation = operation        # the Operation Object (dict)
        self.path_item = path_item        # the Path Item Object (dict)
        self.path_params = path_params    # {"id": "1"} (percent-decoded)
        self.pointer = pointer            # JSON pointer of the operation

    @property
    def name(self):
        return "%s %s" % (self.method.upper(), self.template)


class OpenApiChecker:
    def __init__(self, spec, base_path=None):
        """spec: a path to a JSON document or an already parsed dict (not
        modified). base_path: prefix stripped from request paths; default:
        the path of the first servers[] URL (often empty)."""
        if isinstance(spec, str):
            with open(spec, encoding="utf-8") as f:
                spec = json.load(f)
        version = str(spec.get("openapi", ""))
        if not version.startswith("3."):
            raise ValueError("not an OpenAPI 3.x document (openapi = %r)" % version)
        self.spec = copy.deepcopy(spec)
        if version.startswith("3.0"):
            _convert_30(self.spec)
        if referencing is not None:
            resource = referencing.Resource.from_contents(
                self.spec, default_specification=referencing.jsonschema.DRAFT202012)
            self.registry = referencing.Registry().with_resource(SPEC_URI, resource)
        self.format_checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
        if base_path is None:
            servers = self.spec.get("servers") or [{}]
            url = servers[0].get("url", "")
            base_path = urlsplit(re.sub(r"\{[^}]*\}", "x", url)).path
        self.base_path = base_path.rstrip("/")
        self.routes = []
        for template, item in self.spec.get("paths", {}).items():
            regex, literal = self._compile(template)
            self.routes.append((template, regex, literal, item))
        # Most specific first: fewest parameters, then most literal text.
        self.routes.sort(key=lambda r: (r[0].count("{"), -r[2]))

    # ---- matching ------------------------------------------------------

    @staticmethod
    def _compile(template):
        pattern, literal, pos = "", 0, 0
        for index, m in enumerate(re.finditer(r"\{([^}/]+)\}", template)):
            text = template[pos:m.start()]
            pattern += re.escape(text) + "(?P<p%d>[^/]+)" % index
            literal += len(text)
            pos = m.end()
        pattern += re.escape(template[pos:])
        literal += len(template) - pos
        return re.compile("^" + pattern + "$"), literal

    def _strip(self, path):
        if self.base_path and path.startswith(self.base_path):
            path = path[len(self.base_path):] or "/"
        return path

    def _paths_matching(self, path):
        for template, regex, _, item in self.routes:
            m = regex.match(path)
            if m:
                names = re.findall(r"\{([^}/]+)\}", template)
                values = [unquote(m.group("p%d" % i)) for i in range(len(names))]
                yield template, item, dict(zip(names, values))

    def find(self, method, path):
        """The Match for method and path (query ignored), or None."""
        path = self._strip(urlsplit(path).path)
        method = method.lower()
        for template, item, params in self._paths_matching(path):
            if isinstance(item.get(method), dict):
                pointer = "/paths/%s/%s" % (_pointer_escape(template), method)
                return Match(template, method, item[method], item, params, pointer)
        return None

    # ---- schemas -------------------------------------------------------

    def _resolve(self, obj):
        """Follow $ref (within the document) until a non-reference."""
        seen = 0
        while isinstance(obj, dict) and "$ref" in obj and seen < 32:
            ref = obj["$ref"]
            if not ref.startswith("#/"):
                break
            node = self.spec
            for token in ref[2:].split("/"):
                token = token.replace("~1", "/").replace("~0", "~")
                node = node[int(token)] if isinstance(node, list) else node[token]
            obj, seen = node, seen + 1
        return obj

    def _validate(self, pointer, value):
        """Error messages of value against the schema at pointer."""
        schema = {"$ref": SPEC_URI + "#" + pointer}
        if referencing is not None:
            validator = jsonschema.Draft202012Validator(
                schema, registry=self.registry, format_checker=self.format_checker)
        else:
            # A RefResolver keeps a scope stack: one per validation, so
            # the fakes' handler threads never share one.
            resolver = jsonschema.RefResolver(SPEC_URI, self.spec)
            validator = jsonschema.Draft202012Validator(
                schema, resolver=resolver, format_checker=self.format_checker)
        out = []
        for err in sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path)):
            where = "".join("[%s]" % json.dumps(p) for p in err.absolute_path)
            out.append((where + " " if where else "") + err.message)
        return out

    def _schema_type(self, schema):
        """The declared type of a (resolved) schema, for coercing text."""
        schema = self._resolve(schema)
        if not isinstance(schema, dict):
            return None
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), None)
        if kind is None:
            for key in ("allOf", "anyOf", "oneOf"):
                for sub in schema.get(key, []):
                    kind = self._schema_type(sub)
                    if kind:
                        return kind
        return kind

    def _coerce_scalar(self, schema, text):
        kind = self._schema_type(schema)
        try:
            if kind == "integer" and re.fullmatch(r"-?[0-9]+", text):
                return int(text)
            if kind == "number" and re.fullmatch(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?", text):
                return float(text) if re.search(r"[.eE]", text) else int(text)
        except ValueError:
            pass
        if kind == "boolean" and text in ("true", "false"):
            return text == "true"
        return text  # left as text: the schema reports the type error

    def _coerce_param(self, param, values):
        """(value, problem) for the raw text values of one parameter."""
        schema = param.get("schema", {})
        kind = self._schema_type(schema)
        if kind == "array":
            items = self._resolve(schema).get("items", {})
            explode = param.get("explode", param.get("style", "form") == "form")
            style = param.get("style", "form")
            if explode:
                parts = list(values)
            else:
                if len(values) > 1:
                    return None, "given %d times; style=%s explode=false takes one " \
                                 "comma-separated value" % (len(values), style)
                sep = {"spaceDelimited": " ", "pipeDelimited": "|"}.get(style, ",")
                parts = values[0].split(sep) if values[0] != "" else []
            return [self._coerce_scalar(items, p) for p in parts], None
        if len(values) > 1:
            return None, "given %d times but it is not an array" % len(values)
        return self._coerce_scalar(schema, values[0]), None

    # ---- requests ------------------------------------------------------

    @staticmethod
    def _headers(headers):
        out = {}
        if headers is None:
            return out
        items = headers.items() if hasattr(headers, "items") else headers
        for name, value in items:
            out.setdefault(name.lower(), value)
        return out

    @staticmethod
    def _query(path, query):
        """name -> list of values, from the path's query and `query`."""
        out = {}
        pairs = parse_qsl(urlsplit(path).query, keep_blank_values=True)
        if isinstance(query, str):
            pairs += parse_qsl(query.lstrip("?"), keep_blank_values=True)
        elif query:
            for name, value in query.items():
                for v in value if isinstance(value, (list, tuple)) else [value]:
                    pairs.append((name, str(v)))
        for name, value in pairs:
            out.setdefault(name, []).append(value)
        return out

    def _parameters(self, match):
        merged = {}
        for source in (match.path_item.get("parameters", []),
                       match.operation.get("parameters", [])):
            for raw in source:
                param = self._resolve(raw)
                merged[(param.get("name"), param.get("in"))] = (param, raw)
        return merged

    def _check_security(self, match, headers, query):
        requirements = match.operation.get("security", self.spec.get("security"))
        if not requirements:
            return None
        schemes = self.spec.get("components", {}).get("securitySchemes", {})
        auth = headers.get("authorization", "")
        auth_scheme = auth.split(" ", 1)[0].lower() if auth else ""
        wanted = []
        for alternative in requirements:
            if not alternative:
                return None  # {} : anonymous access allowed
            ok = True
            for name in alternative:
                scheme = self._resolve(schemes.get(name, {}))
                kind = scheme.get("type")
                if kind == "http":
                    ok = ok and auth_scheme == scheme.get("scheme", "").lower()
                elif kind in ("oauth2", "openIdConnect"):
                    ok = ok and auth_scheme == "bearer"
                elif kind == "apiKey":
                    where, key = scheme.get("in"), scheme.get("name", "")
                    if where == "header":
                        ok = ok and key.lower() in headers
                    elif where == "query":
                        ok = ok and key in query
                    else:
                        ok = ok and "cookie" in headers
                wanted.append(name)
            if ok:
                return None
        return "no accepted credentials: Authorization %s does not satisfy any of %s" % (
            repr(auth_scheme.capitalize()) if auth_scheme else "absent", ", ".join(
                sorted(set(wanted))))

    def _security_query_names(self, match):
        """Query parameter names of the apiKey schemes the operation accepts."""
        requirements = match.operation.get("security", self.spec.get("security")) or []
        schemes = self.spec.get("components", {}).get("securitySchemes", {})
        names = set()
        for alternative in requirements:
            for name in alternative:
                scheme = self._resolve(schemes.get(name, {}))
                if scheme.get("type") == "apiKey" and scheme.get("in") == "query":
                    names.add(scheme.get("name", ""))
        return names

    def _media_type(self, content, content_type):
        """The declared media-type key for a request Content-Type."""
        base = content_type.split(";", 1)[0].strip().lower()
        for key in content:
            if key.lower() == base:
                return key
        for key in content:
            k = key.lower()
            if k == "*/*" or (k.endswith("/*") and base.startswith(k[:-1])):
                return key
        return None

    def _body_value(self, media, content_type, body, schema_pointer):
        """(value, problem) of a body in a given media type."""
        text = body.decode("utf-8", "strict")
        if media == "application/json" or media.endswith("+json"):
            return json.loads(text), None
        schema = self._resolve(self._pointer_get(schema_pointer) or {})
        props = schema.get("properties", {}) if isinstance(schema, dict) else {}
        fields = {}
        if media == "application/x-www-form-urlencoded":
            for name, value in parse_qsl(text, keep_blank_values=True):
                fields.setdefault(name, []).append(value)
        elif media.startswith("multipart/"):
            msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
            if not msg.is_multipart():
                return None, "malformed multipart body"
            for part in msg.iter_parts():
                name = part.get_param("name", header="content-disposition")
                if name is not None:
                    payload = part.get_payload(decode=True) or b""
                    fields.setdefault(name, []).append(payload.decode("utf-8", "replace"))
        else:
            return None, None  # a media type we cannot look into
        value = {}
        for name, values in fields.items():
            prop = {"schema": props.get(name, {})}
            v, _ = self._coerce_param(prop, values)
            value[name] = v if v is not None else values
        return value, None

    def _pointer_get(self, pointer):
        node = self.spec
        for token in pointer.lstrip("/").split("/"):
            token = token.replace("~1", "/").replace("~0", "~")
            if isinstance(node, list):
                node = node[int(token)]
            elif isinstance(node, dict) and token in node:
                node = node[token]
            else:
                return None
        return node

    def _check_body(self, match, headers, body):
        problems = []
        raw_body = match.operation.get("requestBody")
        declared = self._resolve(raw_body) if raw_body else None
        if not body:
            if declared and declared.get("required"):
                problems.append("the request body is required")
            return problems
        if not declared:
            return ["a body of %d bytes, but the operation declares none" % len(body)]
        content = declared.get("content", {})
        content_type = headers.get("content-type")
        if not content_type:
            return ["a body without Content-Type (declared: %s)" % ", ".join(content)]
        media = self._media_type(content, content_type)
        if media is None:
            return ["Content-Type %r is not declared (declared: %s)" % (
                content_type, ", ".join(content))]
        # Where the schema lives, for $ref-aware validation.
        if "$ref" in raw_body:
            base = raw_body["$ref"][1:]
        else:
            base = match.pointer + "/requestBody"
        pointer = "%s/content/%s/schema" % (base, _pointer_escape(media))
        try:
            value, problem = self._body_value(media.lower(), content_type, body, pointer)
        except UnicodeDecodeError:
            return ["the body is not UTF-8"]
        except json.JSONDecodeError as e:
            return ["the body is not JSON: %s" % e]
        if problem:
            return [problem]
        if value is None or self._pointer_get(pointer) is None:
            return problems
        for message in self._validate(pointer, value):
            problems.append("body: " + message)
        return problems

    def check(self, method, path, query=None, headers=None, body=None):
        """Problems of one request (see the module doc); [] when valid."""
        if isinstance(body, str):
            body = body.encode("utf-8")
        body = body or b""
        method = method.upper()
        bare = self._strip(urlsplit(path).path)
        match = self.find(method, path)
        if match is None:
            found = next(self._paths_matching(bare), None)
            if found is not None:
                template, item, _ = found
                allowed = sorted(m.upper() for m in item if m in HTTP_METHODS)
                return ["%s %s: method not allowed on %s (declared: %s)" % (
                    method, bare, template, ", ".join(allowed))]
            return ["%s %s: no such path in the API description" % (method, bare)]

        problems = []
        hdrs = self._headers(headers)
        qs = self._query(path, query)
        params = self._parameters(match)

        for (name, where), (param, raw) in params.items():
            if where == "path":
                pointer = self._param_pointer(match, raw, name, where)
                value = self._coerce_scalar(param.get("schema", {}), match.path_params.get(name, ""))
                for m in self._validate(pointer, value):
                    problems.append("path parameter %r: %s" % (name, m))
            elif where == "query":
                if name not in qs:
                    if param.get("required"):
                        problems.append("query parameter %r is required" % name)
                    continue
                value, problem = self._coerce_param(param, qs[name])
                if problem:
                    problems.append("query parameter %r: %s" % (name, problem))
                    continue
                if value == "" and not param.get("allowEmptyValue") and \
                        self._schema_type(param.get("schema", {})) != "string":
                    problems.append("query parameter %r is empty" % name)
                    continue
                pointer = self._param_pointer(match, raw, name, where)
                for m in self._validate(pointer, value):
                    problems.append("query parameter %r: %s" % (name, m))
            elif where == "header":
                if name.lower() in IGNORED_HEADER_PARAMS:
                    continue
                if name.lower() not in hdrs:
                    if param.get("required"):
                        problems.append("header %r is required" % name)
                    continue
                pointer = self._param_pointer(match, raw, name, where)
                value = self._coerce_scalar(param.get("schema", {}), hdrs[name.lower()])
                for m in self._validate(pointer, value):
                    problems.append("header %r: %s" % (name, m))

        declared_query = {n for (n, w) in params if w == "query"}
        # An apiKey security scheme "in: query" names a parameter the
        # operation does not list (Google's ?key=): it is declared there.
        declared_query |= self._security_query_names(match)
        for name in sorted(qs):
            if name not in declared_query:
                problems.append("query parameter %r is not declared" % name)

        security = self._check_security(match, hdrs, qs)
        if security:
            problems.append(security)
        problems += self._check_body(match, hdrs, body)
        return ["%s: %s" % (match.name, p) for p in problems]

    def _param_pointer(self, match, raw, name, where):
        """JSON pointer of a parameter's schema, wherever it is declared."""
        if "$ref" in raw:
            return raw["$ref"][1:] + "/schema"
        for base, source in ((match.pointer, match.operation),
                             ("/paths/%s" % _pointer_escape(match.template), match.path_item)):
            for i, p in enumerate(source.get("parameters", [])):
                if p is raw:
                    return "%s/parameters/%d/schema" % (base, i)
        raise KeyError("parameter %s in %s not found" % (name, where))

    # ---- responses -----------------------------------------------------

    def check_response(self, method, path, status, headers, body):
        """Problems of a response a fake is about to send (its own
        self-check): the status is declared (or a default/NXX range is) and a
        JSON body is valid against the declared schema."""
        match = self.find(method, path)
        if match is None:
            return ["%s %s: no such operation" % (method.upper(), urlsplit(path).path)]
        responses = match.operation.get("responses", {})
        key = next((k for k in (str(status), "%dXX" % (status // 100), "default")
                    if k in responses), None)
        if key is None:
            return ["%s: status %d is not declared" % (match.name, status)]
        if isinstance(body, str):
            body = body.encode("utf-8")
        raw = responses[key]
        declared = self._resolve(raw)
        content = declared.get("content", {})
        if not body or not content:
            return []
        ctype = self._headers(headers).get("content-type", "application/json")
        media = self._media_type(content, ctype)
        if media is None:
            return ["%s: response Content-Type %r not declared" % (match.name, ctype)]
        if not (media.endswith("json")):
            return []
        base = raw["$ref"][1:] if "$ref" in raw else "%s/responses/%s" % (
            match.pointer, _pointer_escape(key))
        pointer = "%s/content/%s/schema" % (base, _pointer_escape(media))
        try:
            value = json.loads(body)
        except ValueError as e:
            return ["%s: response is not JSON: %s" % (match.name, e)]
        return ["%s: response %d: %s" % (match.name, status, m)
                for m in self._validate(pointer, value)]


def main(argv):
    if len(argv) < 4:
        sys.stderr.write("usage: openapi_check.py SPEC METHOD PATH [BODY]\n")
        return 2
    checker = OpenApiChecker(argv[1])
    body = argv[4].encode() if len(argv) > 4 else b""
    headers = {"Content-Type": "application/json"} if body else {}
    problems = checker.check(argv[2], argv[3], headers=headers, body=body)
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
