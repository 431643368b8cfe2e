//go:build !unix

package bench

import "os"

// maxRSSKiB is not available here: (d) reports an error.
func maxRSSKiB(*os.ProcessState) (int64, bool) { return 0, false }
