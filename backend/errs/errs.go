// Package errs holds the typed errors users see: a stable code, a human
// sentence and a hint. Every package may import it; it imports nothing of
// the project's. A bare Go error never reaches the UI: the boundary (job
// runner, CLI, bound methods) wraps anything untyped as ERR_INTERNAL.
package errs

import (
	"errors"
	"fmt"
)

// Code is a stable, machine-readable error code (ERR_…).
type Code string

// The codes users meet; Codes lists them in this order.
const (
	EpisodeNotRegistered Code = "ERR_EPISODE_NOT_REGISTERED"
	InvalidEpisodeKey    Code = "ERR_INVALID_EPISODE_KEY"
	InputNotFound        Code = "ERR_INPUT_NOT_FOUND"
	VideoUnreadable      Code = "ERR_VIDEO_UNREADABLE"
	VideoUnsupported     Code = "ERR_VIDEO_UNSUPPORTED"
	ModelMissing         Code = "ERR_MODEL_MISSING"
	ModelChecksum        Code = "ERR_MODEL_CHECKSUM"
	ModelLoadFailed      Code = "ERR_MODEL_LOAD_FAILED"
	RuntimeMissing       Code = "ERR_RUNTIME_MISSING"
	ProviderUnavailable  Code = "ERR_PROVIDER_UNAVAILABLE"
	RegistryUpdateFailed Code = "ERR_REGISTRY_UPDATE_FAILED"
	ArtifactWriteFailed  Code = "ERR_ARTIFACT_WRITE_FAILED"
	ArtifactMissing      Code = "ERR_ARTIFACT_MISSING"
	DiskFull             Code = "ERR_DISK_FULL"
	ReadOnly             Code = "ERR_READ_ONLY"
	DatabaseCorrupt      Code = "ERR_DATABASE_CORRUPT"
	StageStalled         Code = "ERR_STAGE_STALLED"
	StageCrashed         Code = "ERR_STAGE_CRASHED"
	Canceled             Code = "ERR_CANCELED"
	IllegalTransition    Code = "ERR_ILLEGAL_TRANSITION"
	HeadshotInvalid      Code = "ERR_HEADSHOT_INVALID"
	RemoteUnavailable    Code = "ERR_REMOTE_UNAVAILABLE"
	Usage                Code = "ERR_USAGE"
	Internal             Code = "ERR_INTERNAL"
)

// codes are the codes above, in their order.
var codes = []Code{
	EpisodeNotRegistered, InvalidEpisodeKey, InputNotFound, VideoUnreadable, VideoUnsupported,
	ModelMissing, ModelChecksum, ModelLoadFailed, RuntimeMissing, ProviderUnavailable,
	RegistryUpdateFailed, ArtifactWriteFailed, ArtifactMissing, DiskFull, ReadOnly,
	DatabaseCorrupt, StageStalled, StageCrashed, Canceled, IllegalTransition,
	HeadshotInvalid, RemoteUnavailable, Usage, Internal,
}

// Codes returns every code, in the order declared (a new code goes in both
// places; TestCodesListsEveryCode checks).
func Codes() []Code { return append([]Code(nil), codes...) }

// Error is a typed error. Message is a sentence for the user; Hint says
// what to do about it; Err (optional) is the cause, kept for logs and
// errors.Is/As but never shown on its own.
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
	Err     error  `json:"-"`
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Is lets errors.Is(err, &errs.Error{Code: X}) match on the code alone.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.Message == "" && t.Err == nil
}

// New returns a typed error with a hint.
func New(code Code, message, hint string) *Error {
	return &Error{Code: code, Message: message, Hint: hint}
}

// Wrap returns a typed error that keeps cause for the logs.
func Wrap(code Code, cause error, message, hint string) *Error {
	return &Error{Code: code, Message: message, Hint: hint, Err: cause}
}

// CodeOf returns the code of the first typed error in err's chain, or
// ERR_INTERNAL for an untyped error, or "" for nil.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// As returns err as a typed error; untyped errors become ERR_INTERNAL with
// a generic sentence (the cause stays in Err for the log).
func As(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: Internal, Message: "An internal error occurred.", Hint: "See the log for details and report it if it repeats.", Err: err}
}

// HasCode reports whether err's chain holds a typed error with code.
func HasCode(err error, code Code) bool {
	var e *Error
	for err != nil {
		if errors.As(err, &e) {
			if e.Code == code {
				return true
			}
			err = e.Err
			continue
		}
		return false
	}
	return false
}
