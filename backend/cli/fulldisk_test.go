package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestFullDisk: on a data folder whose disk is 100 % full, the commands
// that only read (inspect, export) still work, and one that must write
// (run) ends in ERR_DISK_FULL, never ERR_INTERNAL; nothing saved is lost.
func TestFullDisk(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a small file system needs root")
	}
	dir := t.TempDir()
	clip := filepath.Join(dir, "Full_S01E01.mp4")
	if out, err := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=5:duration=2", "-pix_fmt", "yuv420p", clip).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	data := filepath.Join(dir, "data")
	os.Mkdir(data, 0o755)
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", data).CombinedOutput(); err != nil {
		t.Fatalf("mount: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", data).Run() })
	if code, stdout, stderr := run(t, "run", clip, "--data", data, "--stages", "validate,extract"); code != ExitOK {
		t.Fatalf("run: exit %d\n%s%s", code, stdout, stderr)
	}
	// Fill the disk to the last byte.
	f, err := os.Create(filepath.Join(data, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			break
		}
	}
	for n := 4096; n > 0; n /= 2 {
		for {
			if _, err := f.Write(buf[:n]); err != nil {
				break
			}
		}
	}
	f.Close()

	code, stdout, stderr := run(t, "inspect", "full_s01_e01", "--data", data)
	if code != ExitOK || !strings.Contains(stdout, "full_s01_e01") || !strings.Contains(stdout, "validated") {
		t.Fatalf("inspect on a full disk: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = run(t, "run", clip, "--data", data, "--stages", "validate,extract", "--rerun")
	if code != ExitError || !strings.Contains(lastLine(stdout+stderr), "ERR_DISK_FULL") || strings.Contains(stdout+stderr, "ERR_INTERNAL") {
		t.Fatalf("run on a full disk: exit %d\n%s%s", code, stdout, stderr)
	}
	// The first run's results are still there.
	if code, stdout, _ := run(t, "inspect", "full_s01_e01", "--data", data, "--json"); code != ExitOK || !strings.Contains(stdout, `"validated": true`) {
		t.Fatalf("after the failed run: exit %d\n%s", code, stdout)
	}
}
