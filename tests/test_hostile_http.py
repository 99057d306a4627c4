"""Malformed HTTP, pagination loops, slow-loris bodies and listings, malformed listing entries (issue 17,
points 13, 14, 16, 17): `hubctl pull` as a process against a hostile loopback server. Each case asserts the
exit code, one `hubctl: error:` line on stderr with no traceback, that no final-named file holds wrong
bytes, and (where it matters) the request counts the server saw."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hostilehub import CONTENT, REPO, SHA, Handler, HostileServer, file_entry, json_answer, raw
from pulltools import cli

from hubctl.errors import ExitCode

RESOLVE = f"/{REPO}/resolve/{SHA}/"
TREE = f"/api/models/{REPO}/tree/"


@pytest.fixture
def hostile():
    with HostileServer() as srv:
        yield srv


def pull(srv: HostileServer, dest: Path, *extra: str, env: dict | None = None, timeout: float = 90):
    return cli(
        "pull",
        f"hf:{REPO}",
        "--endpoint",
        srv.endpoint,
        "--dest",
        str(dest),
        "--quiet",
        *extra,
        env=env,
        timeout=timeout,
    )


def assert_one_line(result, code: ExitCode, *needles: str) -> str:
    err = result.stderr
    assert result.returncode == code, (result.returncode, err)
    assert "Traceback" not in err and "HTTP 0" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hubctl: error: "), err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def assert_no_wrong_bytes(dest: Path) -> None:
    final = dest / "a.txt"
    assert not final.exists() or final.read_bytes() == CONTENT


def answer(data: bytes):
    return lambda h: h.send_raw(data)


def first_then_default(data: bytes, times: int = 1):
    """Answer `data` the first `times` requests, then fall through to the honest default route."""
    left = [times]

    def script(h: Handler) -> None:
        if left[0] > 0:
            left[0] -= 1
            h.send_raw(data)
        else:
            h.send_raw(raw("200 OK", [("Content-Type", "text/plain")], CONTENT))

    return script


# --- point 17: malformed HTTP on the file route ---------------------------------------------------------

REFUSED_FILE = {
    "content_length_12abc": raw("200 OK", [("Content-Length", "12abc")], CONTENT, length=False),
    "redirect_file_scheme": raw("302 Found", [("Location", "file:///etc/passwd")]),
    "redirect_ftp": raw("302 Found", [("Location", "ftp://127.0.0.1/a.txt")]),
    "redirect_port_over_65535": raw("302 Found", [("Location", "http://127.0.0.1:99999/a.txt")]),
    "redirect_bad_ipv6": raw("302 Found", [("Location", "http://[::1/a.txt")]),
    "redirect_no_location": raw("302 Found", []),
    "http_400": json_answer({"error": "bad request"}, status="400 Bad Request"),
    "http_410": json_answer({"error": "gone"}, status="410 Gone"),
    "retry_after_soon_forever": json_answer({}, ("Retry-After", "soon"), status="503 Service Unavailable"),
    "retry_after_negative_forever": json_answer({}, ("Retry-After", "-5"), status="503 Service Unavailable"),
    "status_999": raw("999 Whatever", [], b"x"),
    "not_http": b"SSH-2.0-OpenSSH_9.6\r\n",
}


@pytest.mark.parametrize("case", sorted(REFUSED_FILE))
def test_malformed_file_answers_are_one_line_network_errors(hostile, tmp_path, case):
    hostile.scripts[RESOLVE] = answer(REFUSED_FILE[case])
    result = pull(hostile, tmp_path / "m")
    assert_one_line(result, ExitCode.NETWORK, "a.txt")
    assert_no_wrong_bytes(tmp_path / "m")


@pytest.mark.parametrize("value", ["1.5", "soon", "-5", "Wed, 99 Foo 2026 99:99:99 GMT", "9" * 40, "\x7f"])
def test_transient_answer_with_any_retry_after_is_retried(hostile, tmp_path, value):
    hostile.scripts[RESOLVE] = first_then_default(
        json_answer({}, ("Retry-After", value), status="503 Service Unavailable"), times=1
    )
    result = pull(hostile, tmp_path / "m")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert (tmp_path / "m" / "a.txt").read_bytes() == CONTENT
    assert hostile.count(RESOLVE) == 2


def test_gzip_body_despite_identity_is_reported_as_such(hostile, tmp_path):
    import gzip

    body = gzip.compress(CONTENT)
    hostile.scripts[RESOLVE] = answer(raw("200 OK", [("Content-Encoding", "gzip")], body))
    assert_one_line(pull(hostile, tmp_path / "m"), ExitCode.INTEGRITY, "Content-Encoding", "gzip")
    assert_no_wrong_bytes(tmp_path / "m")


# --- points 13 and 17: Link headers and pagination loops ------------------------------------------------


def paged(pages: dict[str, tuple[list, str | None]]):
    """A tree route serving pages keyed by cursor ("" first), each with an optional raw Link value."""

    def script(h: Handler) -> None:
        cursor = h.path.partition("cursor=")[2]
        entries, link = pages.get(cursor, ([], None))
        h.send_raw(json_answer(entries, *((("Link", link),) if link else ())))

    return script


def test_link_to_the_same_page_stops_with_exit_6(hostile, tmp_path):
    first = f"{hostile.endpoint}{TREE}{SHA}?recursive=true&expand=false"
    hostile.scripts[TREE] = paged({"": ([file_entry()], f'<{first}>; rel="next"')})
    assert_one_line(pull(hostile, tmp_path / "m"), ExitCode.INTEGRITY, "pagination loop")
    assert hostile.count(TREE) == 1  # the repeated URL is recognised before it is fetched again


def test_two_pages_pointing_at_each_other_stop_with_exit_6(hostile, tmp_path):
    base = f"{TREE}{SHA}?recursive=true&expand=false"
    hostile.scripts[TREE] = paged(
        {
            "": ([file_entry()], f'<{base}&cursor=B>; rel="next"'),
            "B": ([file_entry("b.txt")], f'<{base}&cursor=A>; rel="next"'),
            "A": ([file_entry("c.txt")], f'<{base}&cursor=B>; rel="next"'),
        }
    )
    assert_one_line(pull(hostile, tmp_path / "m"), ExitCode.INTEGRITY, "pagination loop")
    assert hostile.count(TREE) == 3


def test_absurd_page_count_stops(hostile, tmp_path):
    counter = iter(range(1_000_000))

    def endless(h: Handler) -> None:
        h.send_raw(json_answer([], ("Link", f'<{TREE}{SHA}?cursor={next(counter)}>; rel="next"')))

    hostile.scripts[TREE] = endless
    result = pull(hostile, tmp_path / "m", env={"HUBCTL_MAX_PAGES": "20"})
    assert_one_line(result, ExitCode.INTEGRITY, "more than 20 pages")
    assert hostile.count(TREE) == 20


def test_relative_link_is_followed(hostile, tmp_path):
    hostile.scripts[f"/{REPO}/resolve/{SHA}/b.txt"] = answer(raw("200 OK", [], b"page two\n"))
    hostile.scripts[TREE] = paged(
        {
            "": ([file_entry()], f'<{TREE}{SHA}?recursive=true&cursor=2>; rel="next"'),
            "2": ([file_entry("b.txt", b"page two\n")], None),
        }
    )
    result = pull(hostile, tmp_path / "m")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "m" / "b.txt").read_bytes() == b"page two\n"


@pytest.mark.parametrize(
    "link",
    [
        '<ftp://127.0.0.1/next>; rel="next"',
        '<file:///etc/passwd>; rel="next"',
        '<http://[::1/next>; rel="next"',
        '<http://127.0.0.1:99999/x>; rel="next"',
    ],
)
def test_non_http_link_is_exit_6(hostile, tmp_path, link):
    hostile.scripts[TREE] = paged({"": ([file_entry()], link)})
    assert_one_line(pull(hostile, tmp_path / "m"), ExitCode.INTEGRITY, "next-page link")


# --- point 16: malformed listings ------------------------------------------------------------------------

GOOD = file_entry()
MALFORMED = {
    "size_string": {**GOOD, "size": "25"},
    "size_null": {**GOOD, "size": None},
    "size_missing": {k: v for k, v in GOOD.items() if k != "size"},
    "size_negative": {**GOOD, "size": -1},
    "size_huge": {**GOOD, "size": 1 << 62},
    "size_float": {**GOOD, "size": 25.0},
    "size_bool": {**GOOD, "size": True},
    "path_number": {**GOOD, "path": 5},
    "path_list": {**GOOD, "path": ["a"]},
    "path_missing": {k: v for k, v in GOOD.items() if k != "path"},
    "path_nul": {**GOOD, "path": "a\x00b"},
    "oid_slash": {**GOOD, "oid": "../" + "a" * 37},
    "oid_int": {**GOOD, "oid": 7},
    "oid_short": {**GOOD, "oid": "abc"},
    "lfs_string": {**GOOD, "lfs": "yes"},
    "lfs_oid_short": {**GOOD, "lfs": {"oid": "ab" * 10, "size": 25}},
    "lfs_oid_slash": {**GOOD, "lfs": {"oid": "/" * 64, "size": 25}},
    "lfs_size_differs": {**GOOD, "lfs": {"oid": "a" * 64, "size": 26}},
    "xet_hash_object": {**GOOD, "xetHash": {"a": 1}},
    "type_unknown": {**GOOD, "type": "symlink"},
    "not_an_object": "a.txt",
    "null_entry": None,
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_entry_is_exit_6_naming_it(hostile, tmp_path, case):
    hostile.scripts[TREE] = answer(json_answer([MALFORMED[case]]))
    line = assert_one_line(pull(hostile, tmp_path / "m"), ExitCode.INTEGRITY, "entry 0")
    assert "\x00" not in line
    assert hostile.count(RESOLVE) == 0  # refused before any download


DEEP_LIST = b"[" * 200_000 + b"]" * 200_000
DEEP_OBJECT = b'{"a":' * 100_000 + b"1" + b"}" * 100_000


@pytest.mark.parametrize("body", [b"{}", b'"a list?"', DEEP_LIST, DEEP_OBJECT])
def test_listing_that_is_not_a_list_is_exit_6(hostile, tmp_path, body):
    hostile.scripts[TREE] = answer(raw("200 OK", [("Content-Type", "application/json")], body))
    assert_one_line(pull(hostile, tmp_path / "m"), ExitCode.INTEGRITY)


def test_entry_with_control_characters_is_escaped_in_the_message(hostile, tmp_path):
    hostile.scripts[TREE] = answer(json_answer([{**GOOD, "path": "x\n\x1b[31mhubctl: error: forged", "size": "1"}]))
    line = assert_one_line(pull(hostile, tmp_path / "m"), ExitCode.INTEGRITY, "entry 0")
    assert "\x1b" not in line


def test_error_listing_400_is_exit_5(hostile, tmp_path):
    hostile.scripts[TREE] = answer(json_answer({"error": "bad"}, status="400 Bad Request"))
    assert_one_line(pull(hostile, tmp_path / "m"), ExitCode.NETWORK, "HTTP 400")


# --- point 14: slow-loris bodies and listings ------------------------------------------------------------


def ranged_trickle(data: bytes, every: float):
    """Serve `data` (honouring a `bytes=N-[M]` Range with a 206) one byte per `every` seconds."""

    def script(h: Handler) -> None:
        spec = (h.headers.get("Range") or "").removeprefix("bytes=")
        first, _, last = spec.partition("-")
        start = int(first) if first.isdigit() else 0
        end = int(last) if last.isdigit() else len(data) - 1
        body = data[start : end + 1]
        if spec:
            head = raw(
                "206 Partial Content",
                [("Content-Range", f"bytes {start}-{end}/{len(data)}"), ("Content-Length", str(len(body)))],
                length=False,
            )
        else:
            head = raw("200 OK", [("Content-Length", str(len(body)))], length=False)
        h.trickle(head, body, every)

    return script


SLOW_ENV = {"HUBCTL_MIN_SPEED": "200", "HUBCTL_SPEED_WINDOW": "1", "HUBCTL_RETRIES": "2", "HUBCTL_STALL_TIMEOUT": "5"}


def test_trickling_body_is_abandoned_then_the_next_endpoint_serves(hostile, tmp_path):
    data = bytes(range(256)) * 16
    hostile.scripts[TREE] = answer(json_answer([file_entry("a.txt", data)]))

    hostile.scripts[RESOLVE] = ranged_trickle(data, every=0.05)
    with HostileServer() as good:
        good.scripts[TREE] = answer(json_answer([file_entry("a.txt", data)]))
        good.scripts[RESOLVE] = answer(raw("200 OK", [], data))
        result = cli(
            "pull",
            f"hf:{REPO}",
            "--endpoint",
            hostile.endpoint,
            "--endpoint",
            good.endpoint,
            "--dest",
            str(tmp_path / "m"),
            "--quiet",
            env=SLOW_ENV,
            timeout=60,
        )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "m" / "a.txt").read_bytes() == data
    assert hostile.count(RESOLVE) == 2  # two slow windows (HUBCTL_RETRIES=2), then the next endpoint


def test_trickling_body_alone_fails_with_exit_5(hostile, tmp_path):
    data = b"z" * 4096
    hostile.scripts[TREE] = answer(json_answer([file_entry("a.txt", data)]))
    hostile.scripts[RESOLVE] = ranged_trickle(data, every=0.05)
    result = pull(hostile, tmp_path / "m", env=SLOW_ENV, timeout=60)
    assert_one_line(result, ExitCode.NETWORK, "too slow")
    assert not (tmp_path / "m" / "a.txt").exists()


def test_trickling_listing_hits_the_api_deadline(hostile, tmp_path):
    body = json.dumps([file_entry()]).encode()
    head = raw("200 OK", [("Content-Length", str(len(body)))], length=False)
    hostile.scripts[TREE] = lambda h: h.trickle(head, body, 0.2)
    result = pull(hostile, tmp_path / "m", env={"HUBCTL_API_DEADLINE": "2", "HUBCTL_STALL_TIMEOUT": "5"}, timeout=60)
    assert_one_line(result, ExitCode.NETWORK, "too slow")
