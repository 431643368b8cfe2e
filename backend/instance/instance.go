// Package instance keeps one Castscope window per data folder.
//
// The first window takes an exclusive lock on {data}/window.lock and
// listens on a local socket named after the data folder. A second launch on
// the same folder (a file manager's "Open with", a drop onto the dock, the
// .desktop entry run again) finds the lock taken, hands its files to the
// running window over the socket and exits: two engines never run on one
// data folder from two windows.
//
// Why not Wails' SingleInstanceLock: on Linux it uses the D-Bus session
// bus and, when there is none (a plain X session, ssh -X, Xvfb), silently
// starts a second instance; it also sends the arguments without the
// working directory, so a relative path names the wrong file. The lock
// here is a file lock, which the operating system releases when the
// holder dies (even by SIGKILL), so a crashed window never blocks the
// next one, and the sender sends absolute paths.
package instance

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"time"
)

// ErrHeld means another window holds the data folder.
var ErrHeld = errors.New("instance: another Castscope window holds this data folder")

// LockFile is the lock's file name in the data folder.
const LockFile = "window.lock"

// Instance is the data folder's window lock, held until Close.
type Instance struct {
	dataDir string
	lock    *os.File
	ln      net.Listener
}

// request is what a second launch sends: absolute paths of files to open.
type request struct {
	Files []string `json:"files"`
}

// Acquire takes the window lock of dataDir (created if missing). It returns
// ErrHeld when another process holds it.
func Acquire(dataDir string) (*Instance, error) {
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dataDir, LockFile), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := lockFile(f); err != nil {
		f.Close()
		if errors.Is(err, errWouldBlock) {
			return nil, ErrHeld
		}
		return nil, fmt.Errorf("instance: lock %s: %w", f.Name(), err)
	}
	// Who holds it, for a person looking at the folder.
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(fmt.Sprintf("%d\n", os.Getpid())), 0)
	return &Instance{dataDir: dataDir, lock: f}, nil
}

// Serve listens for later launches and calls open with each one's files
// (absolute paths; none when the launch named no file: the window should
// come to the front all the same), one launch at a time.
func (in *Instance) Serve(open func(files []string)) error {
	network, addr := address(in.dataDir)
	if network == "unix" && addr[0] != '@' {
		_ = os.Remove(addr) // a stale socket of a dead holder: we hold the lock
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		return fmt.Errorf("instance: listen: %w", err)
	}
	in.ln = ln
	go func() {
		// The listener refers to in, so the lock lives while it listens.
		for {
			c, err := in.ln.Accept()
			if err != nil {
				return // closed
			}
			serveConn(c, open)
		}
	}()
	return nil
}

func serveConn(c net.Conn, open func([]string)) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	var req request
	line, err := bufio.NewReader(c).ReadBytes('\n')
	if err != nil || json.Unmarshal(line, &req) != nil {
		fmt.Fprintln(c, "error: bad request")
		return
	}
	var files []string
	for _, f := range req.Files {
		if filepath.IsAbs(f) {
			files = append(files, f)
		}
	}
	fmt.Fprintln(c, "ok")
	open(files)
}

// Close stops listening and releases the lock; the process ending does
// both as well.
func (in *Instance) Close() error {
	if in == nil {
		return nil
	}
	if in.ln != nil {
		in.ln.Close()
	}
	return in.lock.Close() // closing the file releases the lock
}

// Hand gives files (made absolute against the working directory) to the
// window that holds dataDir. It retries for up to wait while that window
// starts listening; an error means no window answered.
func Hand(dataDir string, files []string, wait time.Duration) error {
	req := request{Files: make([]string, 0, len(files))}
	for _, f := range files {
		if abs, err := filepath.Abs(f); err == nil {
			req.Files = append(req.Files, abs)
		}
	}
	body, err := json.Marshal(req)
	if err != nil {
		return err
	}
	network, addr := address(dataDir)
	deadline := time.Now().Add(wait)
	for {
		err = send(network, addr, body)
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func send(network, addr string, body []byte) error {
	c, err := net.DialTimeout(network, addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write(append(body, '\n')); err != nil {
		return err
	}
	reply, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if reply != "ok\n" {
		return fmt.Errorf("instance: the window answered %q", reply)
	}
	return nil
}

// address is the socket a data folder's window listens on: an abstract
// Unix socket on Linux (no file, gone with the process), else a socket
// file in the temporary folder. Both are named by a hash of the folder,
// so the path length limit of Unix sockets never bites.
func address(dataDir string) (network, addr string) {
	if abs, err := filepath.Abs(dataDir); err == nil {
		dataDir = abs
	}
	sum := sha256.Sum256([]byte(dataDir))
	name := "castscope-" + hex.EncodeToString(sum[:8])
	if runtime.GOOS == "linux" {
		return "unix", "@" + name
	}
	return "unix", filepath.Join(os.TempDir(), name+".sock")
}
