"""A wall-clock time stamp in every video frame: ffmpeg draws it, :func:`decode` reads it back.

The camera stand-in (scripts/camera) draws a strip of black and white cells across the top
of each frame. The strip is :data:`CELLS` cells wide, each cell ``width / CELLS`` pixels
(22 px at 1280 px), and :data:`STRIP_CELL_ROWS` cells high. Cell ``i``, left to right:

- ``0 .. 7``: the sync pattern :data:`SYNC` (``10101100``); a frame without it has no stamp;
- ``8 .. 49``: the capture time in Unix epoch milliseconds, 42 bits, most significant
  first (42 bits hold every epoch millisecond until the year 2109: no modulo to undo);
- ``50 .. 57``: the check value ``time mod 251``, 8 bits. 251 is prime, so it catches
  every single misread cell and all but ~1 in 251 of the other misreads.

White is 1, black is 0. The time is ``time(0)`` in ffmpeg's ``geq`` filter, taken once per
frame (at the strip's first pixel) while ffmpeg makes the frame, so the stamp is the
frame's capture time, before encoding. ``geq`` draws a 58 x 1 px image (cheap) that is
scaled up with nearest-neighbour and laid over the test pattern.

:func:`decode` samples each cell's centre relative to the frame width (so any scaling of
the player is fine) in the middle row of the strip, thresholds at mid-grey and returns the
time, or None when a cell is not clearly black or white, the sync pattern is wrong or the
check value disagrees: a misread is reported as None, never as a wrong time.

Browser tests keep decoding here (one decoder): they draw the ``<video>`` into a canvas in
the page, return the top :func:`strip_height` rows (``getImageData``, RGBA) with
``Date.now()``, and call :func:`decode` on them; :data:`CANVAS_CAPTURE_JS` does the page
side for Playwright's ``page.evaluate``.
"""

from __future__ import annotations

import math

SYNC = (1, 0, 1, 0, 1, 1, 0, 0)
TIME_BITS = 42
CHECK_MODULUS = 251
CHECK_BITS = 8
CELLS = len(SYNC) + TIME_BITS + CHECK_BITS
# The strip is this many cells high; decode samples its middle row.
STRIP_CELL_ROWS = 2
# A cell reads as 0 below this luma (0..255) and as 1 at or above 255 - it; between the
# two it is neither and the frame does not decode.
CLEAR_MARGIN = 64

# The camera's picture and encoder: H.264 yuv420p and AAC, as the SJCAM camera sends.
DEFAULT_SIZE = (1280, 720)
DEFAULT_FPS = 30
# One keyframe a second: with video passthrough Owncast can cut segments only at the
# camera's keyframes, so this allows Owncast's shortest segments (1 s, latency level 0).
DEFAULT_GOP_SECONDS = 1.0
DEFAULT_VIDEO_BITRATE = "2500k"
AUDIO_SAMPLE_RATE = 48000
AUDIO_BITRATE = "128k"


def strip_height(width: int) -> int:
    """Height in pixels of the strip in a frame ``width`` pixels wide (even, for yuv420p)."""
    return 2 * math.ceil(STRIP_CELL_ROWS * width / CELLS / 2)


def _bit_expression() -> str:
    """geq expression: 255 where cell X (0 .. CELLS-1) is 1, else 0; time read at X = 0."""
    sync_value = int("".join(map(str, SYNC)), 2)
    first_time, first_check = len(SYNC), len(SYNC) + TIME_BITS
    sync = f"mod(floor({sync_value}/pow(2,{first_time - 1}-X)),2)"
    time_bit = f"mod(floor(ld(0)/pow(2,{first_check - 1}-X)),2)"
    check_bit = f"mod(floor(mod(ld(0),{CHECK_MODULUS})/pow(2,{CELLS - 1}-X)),2)"
    return (
        "if(eq(X,0),st(0,floor(time(0)*1000)),0);"
        f"255*if(lt(X,{first_time}),{sync},if(lt(X,{first_check}),{time_bit},{check_bit}))"
    )


def video_filter_graph(width: int, height: int, fps: float) -> str:
    """A lavfi source graph: the test pattern with the time strip over its top."""
    strip = strip_height(width)
    return (
        f"testsrc2=size={width}x{height}:rate={fps}[pattern];"
        f"color=c=black:size={CELLS}x1:rate={fps},format=gray,"
        f"geq=lum='{_bit_expression()}',"
        f"scale={width}:{strip}:flags=neighbor,format=yuv420p[strip];"
        "[pattern][strip]overlay=0:0:eof_action=endall,format=yuv420p"
    )


def audio_source() -> str:
    """A lavfi audio source: a 440 Hz tone with a short beep every second."""
    return f"sine=frequency=440:beep_factor=4:sample_rate={AUDIO_SAMPLE_RATE}"


def video_encoder_args(fps: float, gop_seconds: float, bitrate: str) -> list[str]:
    """libx264 settings of the camera: fixed GOP, no scene-cut keyframes, no lookahead.

    ``zerolatency`` drops x264's lookahead and B-frames, which would hold frames back
    ~0.3 s; a camera's hardware encoder does not, and the live-delay figure should be
    Owncast's and the player's, not x264's.
    """
    gop = max(1, round(fps * gop_seconds))
    return [
        *("-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency"),
        *("-pix_fmt", "yuv420p", "-b:v", bitrate, "-maxrate", bitrate, "-bufsize", bitrate),
        *("-g", str(gop), "-keyint_min", str(gop), "-sc_threshold", "0"),
    ]


def audio_encoder_args() -> list[str]:
    return ["-c:a", "aac", "-b:a", AUDIO_BITRATE, "-ar", str(AUDIO_SAMPLE_RATE)]


def _luma(pixels: bytes | bytearray | memoryview, offset: int) -> float:
    red, green, blue = pixels[offset], pixels[offset + 1], pixels[offset + 2]
    return 0.299 * red + 0.587 * green + 0.114 * blue


def read_cells(width: int, height: int, pixels: bytes | bytearray | memoryview) -> list[int] | None:
    """Each cell's bit from the strip's middle row, None when any cell is not clear.

    ``pixels`` holds rows from the top of the frame, RGB or RGBA (told apart by size),
    at least :func:`strip_height` of them.
    """
    if width < CELLS or height <= 0 or len(pixels) % (width * height):
        return None
    channels = len(pixels) // (width * height)
    row = strip_height(width) // 2
    if channels not in (3, 4) or row >= height:
        return None
    bits = []
    for cell in range(CELLS):
        x = min(width - 1, int((cell + 0.5) * width / CELLS))
        luma = _luma(pixels, (row * width + x) * channels)
        if luma < CLEAR_MARGIN:
            bits.append(0)
        elif luma >= 255 - CLEAR_MARGIN:
            bits.append(1)
        else:
            return None
    return bits


def _number(bits: list[int]) -> int:
    return int("".join(map(str, bits)), 2)


def decode(width: int, height: int, pixels: bytes | bytearray | memoryview) -> int | None:
    """The capture time in epoch milliseconds stamped in a frame, or None if it fails a check."""
    bits = read_cells(width, height, pixels)
    if bits is None or tuple(bits[: len(SYNC)]) != SYNC:
        return None
    time_ms = _number(bits[len(SYNC) : len(SYNC) + TIME_BITS])
    if _number(bits[len(SYNC) + TIME_BITS :]) != time_ms % CHECK_MODULUS:
        return None
    return time_ms


# For Playwright: page.evaluate(CANVAS_CAPTURE_JS, [css_selector, STRIP_CELL_ROWS / CELLS,
# CAPTURE_WIDTH]) draws the <video>'s current frame scaled to at most CAPTURE_WIDTH pixels
# wide (eight per cell: enough to read, and small enough to sample several times a second)
# and returns {"now": Date.now(), "width": w, "height": rows, "rgba": [...]} with the
# strip's rows; decode(width, height, bytes(rgba)) reads it. None when the video has no
# frame yet.
CAPTURE_WIDTH = CELLS * 8
CANVAS_CAPTURE_JS = """([selector, rowsPerWidth, maxWidth]) => {
  const video = document.querySelector(selector);
  if (!video || !video.videoWidth) return null;
  const width = Math.min(video.videoWidth, maxWidth || video.videoWidth);
  const scaledHeight = Math.round(video.videoHeight * width / video.videoWidth);
  const height = Math.min(scaledHeight, 2 * Math.ceil(rowsPerWidth * width / 2));
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d", { willReadFrequently: true });
  context.drawImage(video, 0, 0, video.videoWidth, video.videoHeight, 0, 0, width, scaledHeight);
  const now = Date.now();
  const rgba = Array.from(context.getImageData(0, 0, width, height).data);
  return { now, width, height, rgba };
}"""
