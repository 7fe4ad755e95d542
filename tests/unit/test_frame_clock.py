"""frame_clock: the time stamp the camera stand-in draws survives H.264 and scaling.

Real ffmpeg renders the camera's filter graph in real time (-re), encodes it with the
camera's libx264 settings, and decodes it back to raw RGB, at full size and scaled to
360 px wide like a small player would. The decoded times must lie in the wall-clock
window of the ffmpeg run and advance by about one frame interval; damaged strips must
decode to None, never to a wrong time. Debian's chromium runs CANVAS_CAPTURE_JS on the
same video to show the browser side returns pixels decode() reads.
"""

from __future__ import annotations

import itertools
import json
import math
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tools import frame_clock

WIDTH, HEIGHT = frame_clock.DEFAULT_SIZE
FPS = frame_clock.DEFAULT_FPS
FRAMES = 12
SCALED_WIDTH = 360
CHROMIUM_FLAGS = [
    *("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking"),
    *("--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"),
]


@dataclass(frozen=True)
class Rendered:
    started_ms: float
    finished_ms: float
    video: Path


@dataclass(frozen=True)
class Frame:
    width: int
    height: int
    pixels: bytes


def run_ffmpeg(*args: str) -> bytes:
    result = subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", *args], capture_output=True, check=False
    )
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    video = tmp_path_factory.mktemp("frame_clock") / "camera.mkv"
    started = time.time() * 1000
    run_ffmpeg(
        *("-re", "-f", "lavfi", "-i", frame_clock.video_filter_graph(WIDTH, HEIGHT, FPS)),
        *("-frames:v", str(FRAMES)),
        *frame_clock.video_encoder_args(
            FPS, frame_clock.DEFAULT_GOP_SECONDS, frame_clock.DEFAULT_VIDEO_BITRATE
        ),
        str(video),
    )
    return Rendered(started, time.time() * 1000, video)


def decoded_frames(video: Path, width: int | None = None) -> list[Frame]:
    scale = ["-vf", f"scale={width}:-2"] if width else []
    raw = run_ffmpeg("-i", str(video), *scale, "-f", "rawvideo", "-pix_fmt", "rgb24", "-")
    out_width = width or WIDTH
    out_height = HEIGHT if width is None else 2 * round(HEIGHT * width / WIDTH / 2)
    size = out_width * out_height * 3
    assert len(raw) == FRAMES * size
    return [Frame(out_width, out_height, raw[i : i + size]) for i in range(0, len(raw), size)]


@pytest.fixture(scope="module")
def full_size(rendered: Rendered) -> list[Frame]:
    return decoded_frames(rendered.video)


def times(frames: list[Frame]) -> list[int | None]:
    return [frame_clock.decode(f.width, f.height, f.pixels) for f in frames]


def test_every_frame_carries_its_capture_time(rendered: Rendered, full_size: list[Frame]) -> None:
    stamps = times(full_size)
    assert None not in stamps
    assert all(rendered.started_ms <= t <= rendered.finished_ms for t in stamps), (stamps, rendered)
    steps = [b - a for a, b in itertools.pairwise(stamps)]
    assert all(step > 0 for step in steps), steps
    interval = 1000 / FPS
    mean_step = (stamps[-1] - stamps[0]) / (len(stamps) - 1)
    assert 0.6 * interval <= mean_step <= 1.5 * interval, steps


def test_a_player_scaled_to_360_px_reads_the_same_times(rendered: Rendered, full_size: list[Frame]) -> None:
    assert times(decoded_frames(rendered.video, SCALED_WIDTH)) == times(full_size)


def test_rgba_strip_rows_alone_decode(full_size: list[Frame]) -> None:
    frame = full_size[0]
    rows = frame_clock.strip_height(frame.width)
    rgb = frame.pixels[: rows * frame.width * 3]
    rgba = bytearray(len(rgb) // 3 * 4)
    rgba[0::4], rgba[1::4], rgba[2::4], rgba[3::4] = (
        rgb[0::3],
        rgb[1::3],
        rgb[2::3],
        b"\xff" * (len(rgb) // 3),
    )
    assert frame_clock.decode(frame.width, rows, rgba) == frame_clock.decode(*_args(frame))


def _args(frame: Frame) -> tuple[int, int, bytes]:
    return frame.width, frame.height, frame.pixels


def paint_cell(frame: Frame, cell: int, value: int) -> Frame:
    """The frame with one cell of the strip painted grey level ``value``."""
    pixels = bytearray(frame.pixels)
    left = math.floor(cell * frame.width / frame_clock.CELLS)
    right = math.ceil((cell + 1) * frame.width / frame_clock.CELLS)
    for row in range(frame_clock.strip_height(frame.width)):
        start = (row * frame.width + left) * 3
        pixels[start : start + (right - left) * 3] = bytes([value]) * ((right - left) * 3)
    return Frame(frame.width, frame.height, bytes(pixels))


def flipped(frame: Frame, cell: int) -> Frame:
    bits = frame_clock.read_cells(*_args(frame))
    assert bits is not None
    return paint_cell(frame, cell, 0 if bits[cell] else 255)


@pytest.mark.parametrize("cell", range(frame_clock.CELLS))
def test_one_misread_cell_fails_the_checks(full_size: list[Frame], cell: int) -> None:
    frame = full_size[-1]
    assert frame_clock.decode(*_args(frame)) is not None
    assert frame_clock.decode(*_args(flipped(frame, cell))) is None


def test_two_misread_time_cells_fail_the_check(full_size: list[Frame]) -> None:
    frame = full_size[-1]
    first_time = len(frame_clock.SYNC)
    # Bits 2**0 and 2**1 swapped in opposite directions change the time by 1 or 3 ms.
    damaged = flipped(
        flipped(frame, first_time + frame_clock.TIME_BITS - 1), first_time + frame_clock.TIME_BITS - 2
    )
    assert frame_clock.decode(*_args(damaged)) is None


def test_a_grey_cell_is_neither_black_nor_white(full_size: list[Frame]) -> None:
    assert frame_clock.decode(*_args(paint_cell(full_size[0], 20, 128))) is None


def test_a_frame_without_the_strip_has_no_time() -> None:
    raw = run_ffmpeg(
        *("-f", "lavfi", "-i", f"testsrc2=size={WIDTH}x{HEIGHT}:rate={FPS}"),
        *("-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"),
    )
    assert frame_clock.decode(WIDTH, HEIGHT, raw) is None


@pytest.mark.parametrize(
    ("width", "height", "size"),
    [
        (frame_clock.CELLS - 1, 10, (frame_clock.CELLS - 1) * 10 * 3),
        (WIDTH, 2, WIDTH * 2 * 3),
        (WIDTH, 10, 5),
    ],
)
def test_unusable_input_is_none(width: int, height: int, size: int) -> None:
    assert frame_clock.decode(width, height, bytes(size)) is None


def capture_page() -> str:
    """Runs the capture on the first frame and posts what it returns to /result."""
    arguments = f'["video", {frame_clock.STRIP_CELL_ROWS / frame_clock.CELLS}, {frame_clock.CAPTURE_WIDTH}]'
    return f"""<!doctype html>
<video src="camera.mp4" muted preload="auto"></video>
<script>
const capture = {frame_clock.CANVAS_CAPTURE_JS};
document.querySelector("video").addEventListener("loadeddata", () => {{
  const result = capture({arguments});
  fetch("/result", {{ method: "POST", body: JSON.stringify(result) }});
}});
</script>"""


def serve_and_wait(chromium: str, directory: Path, profile: Path) -> dict[str, Any]:
    """Serves ``directory`` on loopback, opens its page in chromium, returns the posted result."""
    posted: dict[str, Any] = {}
    received = threading.Event()

    class Handler(SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            posted.update(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()
            received.set()

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(directory)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/index.html"
    browser = subprocess.Popen(
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", url],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        received.wait(timeout=60)
    finally:
        browser.terminate()
        browser.wait(timeout=30)
        server.shutdown()
        server.server_close()
    return posted


def test_the_canvas_capture_in_chromium_reads_the_first_frames_time(
    rendered: Rendered, full_size: list[Frame], tmp_path: Path
) -> None:
    chromium = shutil.which("chromium")
    if not chromium:
        pytest.fail("Debian's chromium is not installed: scripts/bootstrap installs it")
    site = tmp_path / "site"
    site.mkdir()
    run_ffmpeg("-i", str(rendered.video), "-c", "copy", "-movflags", "+faststart", str(site / "camera.mp4"))
    (site / "index.html").write_text(capture_page())

    result = serve_and_wait(chromium, site, tmp_path / "profile")

    assert result, "chromium posted no capture"
    assert (result["width"], result["height"]) == (
        frame_clock.CAPTURE_WIDTH,
        frame_clock.strip_height(frame_clock.CAPTURE_WIDTH),
    )
    assert frame_clock.decode(result["width"], result["height"], bytes(result["rgba"])) == times(full_size)[0]
    assert result["now"] >= rendered.finished_ms
