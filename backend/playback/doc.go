// Package playback serves an episode's video to the app's window, where a
// <video> plays it under the face boxes and names of the episode view.
//
// The window loads Prefix+key ("/media/{episode_key}"). Server is the
// http.Handler the Wails asset server calls for what the embedded assets
// do not answer; it validates the key (episode.ValidateKey), asks the
// injected Lookup for the episode's video file and artifact folder, and
// serves the file with http.ServeContent (Range, If-Modified-Since,
// If-Range). Nothing of the request but the key reaches the file system.
// A malformed key is 400, an unknown episode 404, an episode whose file is
// gone 410, each with a one-line "ERR_CODE: message" text. The package
// imports neither the service nor the registry, so the service can own
// the Server.
//
// # Which files play directly
//
// Decide holds the rule as a table (directRules): H.264 (8-bit 4:2:0) in
// MP4/MOV/M4V with AAC, MP3 or no audio, and VP8/VP9 (8-bit 4:2:0) in WebM
// with Opus, Vorbis or no audio, play as they are in both window engines
// (WebKitGTK through GStreamer with gstreamer1.0-libav, -plugins-good and
// -plugins-base, and Chromium). Everything else (MPEG-2, HEVC, ProRes,
// MPEG-4 Part 2, AV1, 10-bit or 4:2:2 pictures, AC-3 or DTS audio, AVI,
// MKV, MPEG-PS/TS containers…) plays through a proxy. ISO files are served
// as video/mp4 (a .mov of H.264 is an MP4 to both engines). The facts come
// from one ffprobe of the file, cached per size and modification time.
// Without ffprobe the file is served as it is.
//
// # The proxy
//
// A file the window cannot play gets an H.264 copy, harvest.ProxyFile in
// the episode's artifact folder, made by ffmpeg once (ProxyArgs):
// libx264, preset fast, CRF 23, yuv420p, ProxyHeight (540) lines high or
// the source's height when smaller, width from the display aspect ratio
// (even, square pixels: anamorphic sources come out upright), interlaced
// frames deinterlaced one for one (yadif send_frame), the first audio
// stream as stereo AAC 128 kb/s when there is one, the index at the front
// (+faststart). Frame timing is kept: -fps_mode passthrough neither drops
// nor duplicates a frame, so the proxy has the source's frames at the
// source's times; like a player, ffmpeg starts the timeline at the file's
// first timestamp (an MPEG-PS starting at 0.54 s starts at 0), which is
// where the pipeline's frame times (index/fps) start too. Overlays should
// place boxes in coordinates relative to the frame (the proxy is smaller
// than the frames the pipeline saw).
//
// The proxy carries its source's fingerprint (recipe, size, modification
// time) in its comment tag, so the file and the fact of which source it
// belongs to are renamed into place together; a proxy of another source
// version is made again. ffmpeg writes a temporary file beside it that is
// synced and renamed over it, or removed on failure; a failed ffmpeg is
// ERR_VIDEO_UNREADABLE (ERR_DISK_FULL when the disk filled). Concurrent
// requests for one proxy wait on one ffmpeg, which stops (ERR_CANCELED)
// when every waiting request has gone or the Server is closed. While it
// runs, Status reports its progress.
package playback
