// Package episode holds the episode registry's types and the rules that turn
// a video file name into a canonical episode key.
//
// Key rules (Normalize):
//   - the directory part and a video extension are dropped, letters are
//     lower-cased;
//   - a show/season/episode name ("RHOBH_S05_E03_11062025", "RHOBH.S05E03",
//     "rhobh s05e03") becomes "{show}_s{SS}_e{EE}" with two-digit (or more)
//     numbers; anything after the episode number (a date, a release tag) is
//     dropped;
//   - any other name becomes a slug of ASCII letters, digits and "_", at most
//     MaxKeyLen bytes (longer names keep a prefix plus a short hash so two
//     long names never collide); a name with no ASCII letter or digit (for
//     example all CJK) becomes "ep_" plus a hash of the name;
//   - common Latin accents are folded ("Café" → "cafe");
//   - empty names, names with NUL or control bytes or path separators, "."
//     and "..", and names longer than 1024 bytes are rejected with
//     ERR_INVALID_EPISODE_KEY.
//
// ValidateKey accepts only what Normalize can produce (plus "-"), so a key
// can never escape the data folder when joined to a path.
package episode

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"castscope/backend/errs"
	"castscope/backend/job"
)

// MaxKeyLen is the longest key Normalize produces and ValidateKey accepts.
const MaxKeyLen = 80

// maxNameLen bounds the input of Normalize (file names are at most 255
// bytes on every supported file system; 1024 leaves room for titles).
const maxNameLen = 1024

// States are the registry flags of an episode, in pipeline order.
var States = []string{"validated", "extracted_frames", "detected", "tracked", "clustered", "analyzed"}

// TimeLayout is the timestamp format of the registry's records and
// exports: the engine's (job.TimeLayout), declared once there.
const TimeLayout = job.TimeLayout

// FormatTime formats t in TimeLayout (UTC).
func FormatTime(t time.Time) string { return job.FormatTime(t) }

// Episode is one registered video.
type Episode struct {
	Key         string                `json:"key"`
	Title       string                `json:"title"`
	VideoPath   string                `json:"video_path"`
	SizeBytes   int64                 `json:"size_bytes"`
	ModTime     time.Time             `json:"mod_time"`
	Fingerprint string                `json:"fingerprint"`
	Video       json.RawMessage       `json:"video,omitempty"` // probe result written by the validate stage (opaque here)
	States      map[string]bool       `json:"states"`
	Timestamps  map[string]*time.Time `json:"timestamps"` // RFC3339 ms UTC in JSON
	CreatedAt   time.Time             `json:"created_at"`
}

// MarshalJSON writes every time in TimeLayout and every state (false and
// null included) so the shape never depends on the pipeline's progress.
func (e Episode) MarshalJSON() ([]byte, error) {
	type alias Episode
	return json.Marshal(struct {
		alias
		ModTime    string             `json:"mod_time"`
		States     map[string]bool    `json:"states"`
		Timestamps map[string]*string `json:"timestamps"`
		CreatedAt  string             `json:"created_at"`
	}{alias(e), FormatTime(e.ModTime), fullStates(e.States), stamps(e.Timestamps), FormatTime(e.CreatedAt)})
}

// StateFile is the shape of episodes/{key}/state.json, the JSON copy of an
// episode's registry row that the store writes next to its artifacts.
type StateFile struct {
	EpisodeKey string             `json:"episode_key"`
	Title      string             `json:"title,omitempty"`
	VideoPath  string             `json:"video_path"`
	SizeBytes  int64              `json:"size_bytes,omitempty"`
	Video      json.RawMessage    `json:"video,omitempty"`
	States     map[string]bool    `json:"states"`
	Timestamps map[string]*string `json:"timestamps"`
	CreatedAt  string             `json:"created_at,omitempty"`
}

// StateFile returns the state.json document of e.
func (e Episode) StateFile() StateFile {
	return StateFile{
		EpisodeKey: e.Key, Title: e.Title, VideoPath: e.VideoPath, SizeBytes: e.SizeBytes,
		Video: e.Video, States: fullStates(e.States), Timestamps: stamps(e.Timestamps),
		CreatedAt: FormatTime(e.CreatedAt),
	}
}

func fullStates(m map[string]bool) map[string]bool {
	out := make(map[string]bool, len(States))
	for _, s := range States {
		out[s] = false
	}
	for k, v := range m {
		out[k] = v
	}
	return out
}

func stamps(m map[string]*time.Time) map[string]*string {
	out := make(map[string]*string, len(States))
	for _, s := range States {
		out[s] = nil
	}
	for k, v := range m {
		if v != nil {
			s := FormatTime(*v)
			out[k] = &s
		} else {
			out[k] = nil
		}
	}
	return out
}

var (
	videoExt = regexp.MustCompile(`(?i)\.(mp4|m4v|mov|mkv|avi|webm|ts|mts|m2ts|mpg|mpeg|wmv|flv|mxf|h264|264|hevc)$`)
	sxxexx   = regexp.MustCompile(`^(.*?)[\s._-]*s(\d{1,3})[\s._-]*e(\d{1,4})(?:\D.*)?$`)
	nonSlug  = regexp.MustCompile(`[^a-z0-9]+`)
	keyRE    = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
)

func invalid(msg string) error {
	return errs.New(errs.InvalidEpisodeKey, msg, "Rename the file to something like SHOW_S01_E02.mp4 and add it again.")
}

// Normalize returns the canonical episode key for a file name or title
// (see the package comment for the rules).
func Normalize(name string) (string, error) {
	if len(name) > maxNameLen {
		return "", invalid(fmt.Sprintf("The episode name is too long (%d bytes).", len(name)))
	}
	if !utf8.ValidString(name) {
		return "", invalid("The episode name is not valid UTF-8.")
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return "", invalid("The episode name contains control characters.")
		}
	}
	if strings.ContainsAny(name, `/\`) || strings.TrimSpace(name) == "." || strings.TrimSpace(name) == ".." {
		return "", invalid("The episode name is a path (it holds \"/\" or \"\\\", or is \".\" or \"..\").")
	}
	base := strings.TrimSpace(videoExt.ReplaceAllString(strings.TrimSpace(name), ""))
	if base == "" {
		return "", invalid("The episode name is empty.")
	}
	lower := fold(strings.ToLower(base))
	if m := sxxexx.FindStringSubmatch(lower); m != nil {
		show := slug(m[1])
		if show == "" {
			show = "episode"
		}
		if len(show) > MaxKeyLen-16 {
			show = strings.TrimRight(show[:MaxKeyLen-16], "_")
		}
		return fmt.Sprintf("%s_s%02d_e%02d", show, atoi(m[2]), atoi(m[3])), nil
	}
	s := slug(lower)
	if s == "" {
		return "ep_" + shortHash(base), nil
	}
	if len(s) > MaxKeyLen {
		s = strings.TrimRight(s[:MaxKeyLen-9], "_") + "_" + shortHash(base)
	}
	return s, nil
}

// ValidateKey reports (ERR_INVALID_EPISODE_KEY) a key that is empty, too
// long, or holds anything but a-z, 0-9, "_" and "-" (so no "/", "..", NUL).
func ValidateKey(key string) error {
	if key == "" {
		return invalid("The episode key is empty.")
	}
	if len(key) > MaxKeyLen {
		return invalid("The episode key is too long.")
	}
	if !keyRE.MatchString(key) {
		return invalid(fmt.Sprintf("%q is not a valid episode key.", truncate(key, 40)))
	}
	return nil
}

// keyShow matches the keys Normalize gives show/season/episode names,
// with an optional WithSuffix suffix.
var keyShow = regexp.MustCompile(`^(.+)_s\d{2,}_e\d{2,}(?:_\d+)?$`)

// ShowOf returns the show an episode key belongs to: "rhobh" for
// "rhobh_s05_e03"; a key with no season/episode part is its own show. The
// cast list (facebank) is kept per show.
func ShowOf(key string) string {
	if m := keyShow.FindStringSubmatch(key); m != nil {
		return m[1]
	}
	return key
}

// WithSuffix returns key with "_n" appended (n ≥ 2), trimmed to MaxKeyLen.
func WithSuffix(key string, n int) string {
	suf := fmt.Sprintf("_%d", n)
	if len(key)+len(suf) > MaxKeyLen {
		key = key[:MaxKeyLen-len(suf)]
	}
	return key + suf
}

// TitleOf returns a display title for a file path: its base name without
// a video extension.
func TitleOf(p string) string {
	return videoExt.ReplaceAllString(path.Base(strings.ReplaceAll(p, `\`, "/")), "")
}

var accents = strings.NewReplacer(
	"à", "a", "á", "a", "â", "a", "ã", "a", "ä", "a", "å", "a", "æ", "ae", "ç", "c",
	"è", "e", "é", "e", "ê", "e", "ë", "e", "ì", "i", "í", "i", "î", "i", "ï", "i",
	"ñ", "n", "ò", "o", "ó", "o", "ô", "o", "õ", "o", "ö", "o", "ø", "o", "œ", "oe",
	"ù", "u", "ú", "u", "û", "u", "ü", "u", "ý", "y", "ÿ", "y", "ß", "ss",
)

// fold maps common Latin accented letters to ASCII.
func fold(s string) string { return accents.Replace(s) }

func slug(s string) string { return strings.Trim(nonSlug.ReplaceAllString(s, "_"), "_") }

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

func shortHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:4])
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
