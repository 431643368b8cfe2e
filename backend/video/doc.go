// Package video probes and validates video files and reads their sampled
// frames for the pipeline.
//
// Decisions:
//   - Decoding is OpenCV's FFmpeg backend through a small cgo wrapper over
//     cv::VideoCapture (capture.go): gocv v0.32.0's Grab drops its result
//     and has no Retrieve, and the Reader needs both — unsampled frames are
//     only grabbed (decoded, never converted to BGR), sampled frames are
//     retrieved (converted). Frames are gocv Mats.
//   - Probe trusts OpenCV for what is decodable and for the delivered frame
//     size (OpenCV applies the display-matrix rotation), and ffprobe's JSON,
//     when ffprobe is on PATH, for names, audio, rotation, timecode, the
//     exact frame count and VFR. FPS is the stream's average rate, so frame
//     index → time stays right on average for VFR video; timestamps are
//     index·1000/fps everywhere (PTSms), approximate on VFR video.
//   - Sampling picks, for each tick k/FPS, the first frame at or after it;
//     indices and PTS are pure functions of Info, so extract, detect and
//     resume agree without storing anything.
//   - Resume seeks with POS_FRAMES on MP4/MOV/MKV/WebM (exact: OpenCV
//     decodes forward from the keyframe; the tests compare pixels) and reads
//     forward on other containers.
//   - Frames counts the frames a player shows. A container's sample count
//     (nb_frames, OpenCV's FRAME_COUNT) also counts frames its edit list
//     hides: a stream-copy trim (ffmpeg -ss 3 -c copy, phone and editor
//     exports) keeps the frames from the keyframe before the cut. The
//     decoder drops those, so Probe counts round(stream duration × fps),
//     the edit list's length, when it is more than a frame short of the
//     sample count (Info.HiddenFrames says how many). Frame 0 is then the
//     first frame shown, at time 0, as in a player or an editing system
//     (OpenCV's POS_MSEC and ffprobe's frame times agree; the tests
//     compare every frame's time). Times stay index·1000/fps rather than
//     POS_MSEC: they are known before decoding (extract writes the
//     manifest without decoding), and OpenCV 4.6's POS_MSEC reads 0 for
//     the frames the decoder drains at the end of a stream with B-frames.
//   - A stream that stops decoding more than a second (max(2, fps) frames)
//     before that count is an error (ERR_VIDEO_UNREADABLE), not a quiet
//     early end; within it, the end of the stream is the end. At a clean
//     end of stream the decoder cannot tell a complete file from one cut
//     in its media data (FFmpeg's MP4 reader just meets the end of the
//     file), so the header's displayed duration is the yardstick: a cut
//     file keeps its full header and falls short of it, a trimmed file's
//     edit list shortens it.
//   - A still image (a PNG, a JPEG, any one-frame "video") is refused at
//     probe with ERR_VIDEO_UNSUPPORTED: nothing moves, nobody has screen
//     time. FFmpeg's image readers (image2, *_pipe) name it; without
//     ffprobe, the file's extension does.
//
// Extract stores no frames; detect decodes again in a stream. Measured on
// a generated 20 s 1080p25 H.264 clip, sampled at 5 fps, on the 2-core
// build machine under load (BenchmarkDecode, BenchmarkStoreFrames):
//
//	Reader (grab unsampled, retrieve sampled)  21.6 sampled fps  46 ms/frame
//	ffmpeg -threads 2 … -vf fps=5 bgr24 pipe   17.3 sampled fps  ratio 1.12
//	ffmpeg -threads 0 (auto)                   11.2 sampled fps  ratio 1.92
//	convert every frame, keep the sampled      16.8 sampled fps  (what grab saves: ~22 %)
//	storing frames instead: JPEG q95 encode 18 ms + read/decode 16 ms and
//	148 KiB per sampled 1080p frame
//
// Storing would add 18 ms of encoding to the 46 ms decode in extract and
// still cost 16 ms a frame in detect (80 ms against 46 ms in all), take
// ~2 GB per 45-minute episode at 5 fps (84 GB as raw BGR), and change the
// pixels (JPEG is lossy; the Reader matches ffmpeg's decode exactly). The
// Reader runs in detect's own goroutine behind a bounded queue, so decoding
// overlaps inference. Extract writes the manifest and a few thumbnails;
// Thumbnail decodes any other frame on demand.
package video
