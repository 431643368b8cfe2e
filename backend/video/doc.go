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
//   - A stream that stops decoding well before its frame count is an error
//     (ERR_VIDEO_UNREADABLE), not a quiet early end.
package video
