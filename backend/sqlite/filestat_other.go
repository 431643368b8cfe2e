//go:build !linux && !darwin

package sqlite

import (
	"fmt"
	"io/fs"
)

// fileStat is the identity of a file's content here: size and
// modification time in ns (no inode or change time to read).
func fileStat(fi fs.FileInfo) string {
	return fmt.Sprintf("%d:%d", fi.Size(), fi.ModTime().UnixNano())
}
