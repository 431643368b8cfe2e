//go:build linux || darwin

package sqlite

import (
	"fmt"
	"io/fs"
	"syscall"
)

// fileStat is the identity of a file's content as the file system tells
// it: size, modification and change times in ns, device and inode. A
// write, a truncate, a rename over it, a restored mtime (utimes moves the
// ctime) all change it.
func fileStat(fi fs.FileInfo) string {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Sprintf("%d:%d", fi.Size(), fi.ModTime().UnixNano())
	}
	return fmt.Sprintf("%d:%d:%d:%d:%d", fi.Size(), fi.ModTime().UnixNano(), ctimeNs(st), uint64(st.Dev), uint64(st.Ino))
}
