package playback

import (
	"strings"
	"testing"
)

func TestDecideTable(t *testing.T) {
	cases := []struct {
		m      Media
		direct bool
		reason string
	}{
		{Media{Container: "mp4", Video: "h264", PixFmt: "yuv420p", Audio: "aac"}, true, "H.264 in MP4: the window plays it directly"},
		{Media{Container: "mov", Video: "h264", PixFmt: "yuvj420p", Audio: "mp3"}, true, ""},
		{Media{Container: "m4v", Video: "h264"}, true, ""},
		{Media{Container: "webm", Video: "vp9", PixFmt: "yuv420p", Audio: "opus"}, true, ""},
		{Media{Container: "webm", Video: "vp8", Audio: "vorbis"}, true, ""},
		{Media{Container: "mkv", Video: "hevc", PixFmt: "yuv420p10le", Audio: "eac3", Height: 1080}, false,
			"HEVC in MKV: the window cannot play it; playing a 540p H.264 proxy"},
		{Media{Container: "mkv", Video: "h264", PixFmt: "yuv420p", Audio: "aac"}, false, "H.264 in MKV"},
		{Media{Container: "mp4", Video: "h264", PixFmt: "yuv420p10le"}, false, "uses yuv420p10le pictures"},
		{Media{Container: "mp4", Video: "h264", PixFmt: "yuv422p"}, false, ""},
		{Media{Container: "mp4", Video: "h264", PixFmt: "yuv420p", Audio: "ac3"}, false, "has AC-3 audio"},
		{Media{Container: "webm", Video: "vp9", Audio: "aac"}, false, ""},
		{Media{Container: "mp4", Video: "hevc"}, false, ""},
		{Media{Container: "mp4", Video: "av1"}, false, ""},
		{Media{Container: "webm", Video: "av1"}, false, ""},
		{Media{Container: "mp4", Video: "mpeg4"}, false, "MPEG-4 Part 2 in MP4"},
		{Media{Container: "avi", Video: "mpeg4", Audio: "mp3"}, false, "MPEG-4 Part 2 in AVI"},
		{Media{Container: "mpeg", Video: "mpeg2video", Audio: "mp2", Height: 480}, false,
			"MPEG-2 in MPEG-PS: the window cannot play it; playing a 480p H.264 proxy"},
		{Media{Container: "mpegts", Video: "h264", Audio: "aac"}, false, "H.264 in MPEG-TS"},
		{Media{Container: "mov", Video: "prores", Audio: "pcm_s16le"}, false, "ProRes in MOV"},
		{Media{Container: "webm", Video: "vp9", PixFmt: "yuv420p10le"}, false, ""},
	}
	for _, c := range cases {
		d := Decide(c.m)
		if d.Direct != c.direct || !strings.Contains(d.Reason, c.reason) {
			t.Errorf("Decide(%+v) = %+v, want direct=%v and a reason holding %q", c.m, d, c.direct, c.reason)
		}
	}
}

func TestContainer(t *testing.T) {
	cases := []struct{ formats, path, want string }{
		{"mov,mp4,m4a,3gp,3g2,mj2", "a.mp4", "mp4"},
		{"mov,mp4,m4a,3gp,3g2,mj2", "a.MOV", "mov"},
		{"mov,mp4,m4a,3gp,3g2,mj2", "a.m4v", "m4v"},
		{"mov,mp4,m4a,3gp,3g2,mj2", "a.3gp", "mp4"},
		{"matroska,webm", "a.webm", "webm"},
		{"matroska,webm", "a.mkv", "mkv"},
		{"matroska,webm", "a.mp4", "mkv"}, // a misnamed Matroska file is not an MP4
		{"avi", "a.avi", "avi"},
		{"mpeg", "a.mpg", "mpeg"},
	}
	for _, c := range cases {
		if got := Container(c.formats, c.path); got != c.want {
			t.Errorf("Container(%q, %q) = %q, want %q", c.formats, c.path, got, c.want)
		}
	}
}

func TestProxyHeight(t *testing.T) {
	for h, want := range map[int]int{0: 540, 2160: 540, 1080: 540, 540: 540, 480: 480, 241: 240} {
		if got := proxyHeight(h); got != want {
			t.Errorf("proxyHeight(%d) = %d, want %d", h, got, want)
		}
	}
}
