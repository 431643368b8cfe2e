package playback

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Media is what the playability rule reads about a video file: the
// container (normalised by Container: "mp4", "mov", "m4v", "webm", "mkv",
// "avi", "mpeg", "mpegts"…), the first video stream's codec and pixel
// format, the first audio stream's codec ("" when there is none) and the
// frame height (for the proxy's size). Names are ffprobe's codec names.
type Media struct {
	Container string  `json:"container"`
	Video     string  `json:"video_codec"`
	PixFmt    string  `json:"pix_fmt,omitempty"`
	Audio     string  `json:"audio_codec,omitempty"`
	Height    int     `json:"height,omitempty"`
	DurationS float64 `json:"duration_s,omitempty"`
}

// rule is one row of the direct-play table: a file plays as it is when its
// container, video codec, pixel format and audio codec are all in one row.
type rule struct {
	containers []string
	video      []string
	pixFmts    []string
	audio      []string // "" is a file without audio
}

// directRules is what both window engines play without help: WebKitGTK
// through GStreamer (gstreamer1.0-libav decodes H.264, VP8/VP9 come from
// -plugins-good's vpxdec; qtdemux and matroskademux read the containers)
// and Chromium (proprietary codecs built in). It is kept to what the two
// share for sure: 8-bit 4:2:0 only (Chromium has no 10-bit or 4:2:2/4:4:4
// H.264), no MKV (Chromium's support of it is unofficial), no AV1 (GStreamer
// needs -plugins-bad's dav1d), no HEVC (neither engine on Linux).
var directRules = []rule{
	{
		containers: []string{"mp4", "mov", "m4v"},
		video:      []string{"h264"},
		pixFmts:    []string{"yuv420p", "yuvj420p"},
		audio:      []string{"", "aac", "mp3"},
	},
	{
		containers: []string{"webm"},
		video:      []string{"vp8", "vp9"},
		pixFmts:    []string{"yuv420p"},
		audio:      []string{"", "opus", "vorbis"},
	},
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Decision is the rule's verdict on a file.
type Decision struct {
	Direct bool
	// Reason is a sentence for the user: why the file plays as it is, or
	// why a proxy plays instead.
	Reason string
}

// Decide applies the direct-play table to m. A file the table does not
// allow plays through the proxy (H.264 540p with AAC audio).
func Decide(m Media) Decision {
	what := describe(m)
	var cause string
	for _, r := range directRules {
		if !has(r.containers, m.Container) || !has(r.video, m.Video) {
			continue
		}
		if m.PixFmt != "" && !has(r.pixFmts, m.PixFmt) {
			cause = fmt.Sprintf("%s in %s uses %s pictures", codecName(m.Video), containerName(m.Container), m.PixFmt)
			break
		}
		if !has(r.audio, m.Audio) {
			cause = fmt.Sprintf("%s in %s has %s audio", codecName(m.Video), containerName(m.Container), codecName(m.Audio))
			break
		}
		return Decision{Direct: true, Reason: what + ": the window plays it directly"}
	}
	if cause == "" {
		cause = what
	}
	return Decision{Reason: fmt.Sprintf("%s: the window cannot play it; playing a %dp H.264 proxy", cause, proxyHeight(m.Height))}
}

func describe(m Media) string {
	return fmt.Sprintf("%s in %s", codecName(m.Video), containerName(m.Container))
}

var codecNames = map[string]string{
	"h264": "H.264", "hevc": "HEVC", "mpeg2video": "MPEG-2", "mpeg1video": "MPEG-1",
	"mpeg4": "MPEG-4 Part 2", "msmpeg4v3": "MS MPEG-4 v3", "prores": "ProRes", "dnxhd": "DNxHD",
	"vp8": "VP8", "vp9": "VP9", "av1": "AV1", "mjpeg": "Motion JPEG", "theora": "Theora",
	"wmv3": "WMV 9", "vc1": "VC-1", "ffv1": "FFV1", "rawvideo": "uncompressed video",
	"aac": "AAC", "mp3": "MP3", "opus": "Opus", "vorbis": "Vorbis", "ac3": "AC-3", "eac3": "E-AC-3",
	"dts": "DTS", "flac": "FLAC", "mp2": "MPEG audio layer 2", "truehd": "TrueHD",
}

func codecName(c string) string {
	if n, ok := codecNames[c]; ok {
		return n
	}
	if strings.HasPrefix(c, "pcm_") {
		return "PCM"
	}
	if c == "" {
		return "unknown"
	}
	return strings.ToUpper(c)
}

var containerNames = map[string]string{
	"mp4": "MP4", "mov": "MOV", "m4v": "M4V", "webm": "WebM", "mkv": "MKV", "avi": "AVI",
	"mpeg": "MPEG-PS", "mpegts": "MPEG-TS", "flv": "FLV", "asf": "ASF/WMV", "ogg": "Ogg",
}

func containerName(c string) string {
	if n, ok := containerNames[c]; ok {
		return n
	}
	if c == "" {
		return "an unknown container"
	}
	return strings.ToUpper(c)
}

// Container names the container of a file from ffprobe's format list and
// the file's extension: the ISO family ("mov,mp4,m4a,3gp,3g2,mj2") is
// "mp4", "mov" or "m4v" by extension (else "mp4"); Matroska is "webm"
// only for a .webm file, else "mkv"; anything else is ffprobe's first
// name ("avi", "mpeg", "mpegts"…).
func Container(formatName, path string) string {
	ext := strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	names := strings.Split(formatName, ",")
	switch {
	case has(names, "mov") || has(names, "mp4"):
		if ext == "mov" || ext == "m4v" {
			return ext
		}
		return "mp4"
	case has(names, "matroska") || has(names, "webm"):
		if ext == "webm" {
			return "webm"
		}
		return "mkv"
	}
	return names[0]
}

// contentType is the MIME type the file is served with: ISO files as
// video/mp4 (a .mov of H.264 is an MP4 to both engines, and Chromium
// refuses video/quicktime), WebM as video/webm, others by extension.
func contentType(container string) string {
	switch container {
	case "mp4", "mov", "m4v":
		return "video/mp4"
	case "webm":
		return "video/webm"
	}
	return ""
}
