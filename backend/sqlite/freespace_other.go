//go:build !linux && !darwin

package sqlite

// freeSpace is unknown here: an I/O error stays an I/O error.
func freeSpace(string) (int64, bool) { return 0, false }
