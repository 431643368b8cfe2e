package job

import (
	"os"
	"strconv"
	"strings"
)

// procStart returns the start time of pid in clock ticks since boot.
func procStart(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')') // the command may hold spaces
	if i < 0 {
		return ""
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return ""
	}
	if f[0] == "Z" || f[0] == "X" { // zombie or dead: gone for our purpose
		return "dead"
	}
	return f[19] // field 22 of stat: starttime
}

func processAlive(pid int, start string) bool {
	got := procStart(pid)
	if got == "" || got == "dead" {
		return false
	}
	return start == "" || got == start
}
