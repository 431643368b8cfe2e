package sqlite

import "testing"

// LegacyHashForTest is the fingerprint earlier versions stored.
func LegacyHashForTest(t testing.TB, path string, size int64) string {
	t.Helper()
	h, err := legacyHash(path, size)
	if err != nil {
		t.Fatal(err)
	}
	return h
}
