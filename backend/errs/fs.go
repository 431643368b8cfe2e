package errs

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"
)

// FS turns a file-system error on path into the typed error a user can act
// on: ERR_DISK_FULL (ENOSPC, EDQUOT), ERR_READ_ONLY (EROFS, EACCES, EPERM)
// or ERR_ARTIFACT_WRITE_FAILED. A typed error passes through unchanged.
func FS(err error, path string) error {
	if err == nil {
		return nil
	}
	var typed *Error
	if errors.As(err, &typed) {
		return err
	}
	switch {
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return Wrap(DiskFull, err, fmt.Sprintf("The disk is full while writing %s.", path), "Free some space or choose another data folder, then retry.")
	case errors.Is(err, syscall.EROFS), errors.Is(err, fs.ErrPermission):
		return Wrap(ReadOnly, err, fmt.Sprintf("Castscope cannot write to %s.", path), "Choose a data folder you can write to, or fix its permissions.")
	}
	return Wrap(ArtifactWriteFailed, err, fmt.Sprintf("Writing %s failed.", path), "See the log for the cause, then retry.")
}
