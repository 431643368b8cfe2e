package instance

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"
)

func TestSecondLaunchHandsItsFilesToTheFirst(t *testing.T) {
	data := t.TempDir()
	first, err := Acquire(data)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	got := make(chan []string, 2)
	if err := first.Serve(func(files []string) { got <- files }); err != nil {
		t.Fatal(err)
	}

	if _, err := Acquire(data); !errors.Is(err, ErrHeld) {
		t.Fatalf("second Acquire = %v, want ErrHeld", err)
	}
	t.Chdir(t.TempDir())
	wd, _ := os.Getwd()
	if err := Hand(data, []string{"Show_S01_E02.mp4", "/abs/b c.mkv"}, time.Second); err != nil {
		t.Fatal(err)
	}
	select {
	case files := <-got:
		want := []string{filepath.Join(wd, "Show_S01_E02.mp4"), "/abs/b c.mkv"}
		if !slices.Equal(files, want) {
			t.Fatalf("window got %q, want %q", files, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the window never got the files")
	}

	// Another data folder is another window.
	other, err := Acquire(t.TempDir())
	if err != nil {
		t.Fatalf("a second data folder: %v", err)
	}
	other.Close()

	// Closed, the folder is free again and nobody answers.
	first.Close()
	if err := Hand(data, []string{"/x.mp4"}, 200*time.Millisecond); err == nil {
		t.Fatal("Hand to a closed window succeeded")
	}
	again, err := Acquire(data)
	if err != nil {
		t.Fatalf("Acquire after Close: %v", err)
	}
	again.Close()
}

// TestKilledWindowFreesTheFolder: a window killed with SIGKILL (no
// clean-up at all) leaves the lock file behind, but not the lock.
func TestKilledWindowFreesTheFolder(t *testing.T) {
	if os.Getenv("INSTANCE_HOLD") != "" {
		in, err := Acquire(os.Getenv("INSTANCE_HOLD"))
		if err != nil {
			os.Exit(3)
		}
		_ = in.Serve(func([]string) {})
		os.Stdout.WriteString("held\n")
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	data := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledWindowFreesTheFolder$")
	cmd.Env = append(os.Environ(), "INSTANCE_HOLD="+data)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "held\n" {
		t.Fatalf("child said %q", line)
	}
	if _, err := Acquire(data); !errors.Is(err, ErrHeld) {
		t.Fatalf("Acquire while the child holds it = %v, want ErrHeld", err)
	}
	if err := Hand(data, []string{"/a.mp4"}, time.Second); err != nil {
		t.Fatalf("Hand to the child: %v", err)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if _, err := os.Stat(filepath.Join(data, LockFile)); err != nil {
		t.Fatalf("lock file: %v", err)
	}
	in, err := Acquire(data)
	if err != nil {
		t.Fatalf("Acquire after the holder was killed: %v", err)
	}
	in.Close()
}

// TestServingKeepsTheLock: a window that keeps no reference to its
// Instance after Serve still holds the lock (the garbage collector must not
// close the lock file under a running window).
func TestServingKeepsTheLock(t *testing.T) {
	data := t.TempDir()
	func() {
		in, err := Acquire(data)
		if err != nil {
			t.Fatal(err)
		}
		if err := in.Serve(func([]string) {}); err != nil {
			t.Fatal(err)
		}
	}()
	for range 3 {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := Acquire(data); !errors.Is(err, ErrHeld) {
		t.Fatalf("Acquire after GC = %v, want ErrHeld", err)
	}
}
