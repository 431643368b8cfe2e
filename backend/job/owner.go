package job

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
)

// liveRunners holds the nonces of the runners open in this process, so a
// stage left running by a closed runner of the same process counts as
// orphaned. It is process-wide by nature (a pid is).
var liveRunners sync.Map

var hostname = sync.OnceValue(func() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "localhost"
	}
	return h
})

// newOwner returns "pid@host/start#nonce": start is the process start time
// (Linux: /proc clock ticks), so a reused pid is not mistaken for us.
func newOwner() (owner, nonce string) {
	var b [4]byte
	rand.Read(b[:])
	nonce = hex.EncodeToString(b[:])
	pid := os.Getpid()
	return fmt.Sprintf("%d@%s/%s#%s", pid, hostname(), procStart(pid), nonce), nonce
}

type ownerInfo struct {
	pid         int
	host, start string
	nonce       string
}

func parseOwner(s string) (ownerInfo, bool) {
	at := strings.IndexByte(s, '@')
	slash := strings.LastIndexByte(s, '/')
	hash := strings.LastIndexByte(s, '#')
	if at <= 0 || slash < at || hash < slash {
		return ownerInfo{}, false
	}
	pid, err := strconv.Atoi(s[:at])
	if err != nil {
		return ownerInfo{}, false
	}
	return ownerInfo{pid: pid, host: s[at+1 : slash], start: s[slash+1 : hash], nonce: s[hash+1:]}, true
}

// ownerDead reports whether the process (or, in this process, the runner)
// that owns a running stage is certainly gone. Owners on other hosts or in
// an unknown format are never "dead": the Rescuer's heartbeat age decides.
func ownerDead(owner string) bool {
	o, ok := parseOwner(owner)
	if !ok || o.host != hostname() {
		return false
	}
	if o.pid == os.Getpid() && o.start == procStart(o.pid) {
		_, live := liveRunners.Load(o.nonce)
		return !live
	}
	return !processAlive(o.pid, o.start)
}

// sameProcess reports whether owner is a runner of this process (alive or
// closed): its stages were interrupted by Close, not by a crash.
func sameProcess(owner string) bool {
	o, ok := parseOwner(owner)
	return ok && o.host == hostname() && o.pid == os.Getpid() && o.start == procStart(o.pid)
}

// OwnerDead reports whether the process named by owner (a Stage's Owner)
// is known to be gone: on this host and no longer running, or a closed
// runner of this process. An owner on another host is never known dead.
// Readers such as the state inspector use it to tell a running stage from
// one its process left behind.
func OwnerDead(owner string) bool { return ownerDead(owner) }
