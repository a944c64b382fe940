package agent

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// cpuTimes is the first ("cpu ") line of /proc/stat, in clock ticks, and
// the number of CPUs.
type cpuTimes struct {
	busy, total uint64
	cpus        int
}

// procStat is the part of /proc/stat the agent reads.
type procStat struct {
	cpu  cpuTimes
	boot time.Time
}

// parseProcStat parses /proc/stat: the aggregate cpu line (user nice system
// idle iowait irq softirq steal ...; idle and iowait are not busy; guest
// time is already inside user), the per-CPU lines, and btime.
func parseProcStat(b []byte) (procStat, error) {
	var ps procStat
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		switch {
		case f[0] == "cpu":
			if len(f) < 5 {
				return ps, fmt.Errorf("/proc/stat: short cpu line %q", sc.Text())
			}
			n := len(f)
			if n > 9 {
				n = 9 // user..steal; guest and guest_nice are inside user and nice
			}
			for i := 1; i < n; i++ {
				v, err := strconv.ParseUint(f[i], 10, 64)
				if err != nil {
					return ps, fmt.Errorf("/proc/stat: cpu field %d: %w", i, err)
				}
				ps.cpu.total += v
				if i != 4 && i != 5 { // idle, iowait
					ps.cpu.busy += v
				}
			}
		case strings.HasPrefix(f[0], "cpu"):
			ps.cpu.cpus++
		case f[0] == "btime" && len(f) == 2:
			s, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				return ps, fmt.Errorf("/proc/stat: btime: %w", err)
			}
			ps.boot = time.Unix(s, 0).UTC()
		}
	}
	if ps.cpu.total == 0 || ps.boot.IsZero() {
		return ps, fmt.Errorf("/proc/stat: no cpu or btime line")
	}
	if ps.cpu.cpus == 0 {
		ps.cpu.cpus = 1
	}
	return ps, nil
}

func readProcStat(path string) (procStat, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return procStat{}, err
	}
	return parseProcStat(b)
}

// cpuPercent is the CPU used between two samples in percent of one core:
// 100 is one core fully busy, whatever the number of cores. ok is false when
// no time passed between the samples.
func cpuPercent(prev, cur cpuTimes) (pct float64, ok bool) {
	if cur.total <= prev.total || cur.busy < prev.busy {
		return 0, false
	}
	return float64(cur.busy-prev.busy) / float64(cur.total-prev.total) * float64(cur.cpus) * 100, true
}

// readMemUsed returns the memory in use, in GiB: MemTotal - MemAvailable
// from /proc/meminfo (what programs hold, page cache that can be dropped
// left out).
func readMemUsed(path string) (float64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	var total, avail int64 = -1, -1
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		n, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			continue
		}
		switch f[0] {
		case "MemTotal:":
			total = n
		case "MemAvailable:":
			avail = n
		}
	}
	if total < 0 || avail < 0 || avail > total {
		return 0, fmt.Errorf("%s: no MemTotal and MemAvailable", path)
	}
	return float64(total-avail) / (1 << 20), nil // kB to GiB
}

// kernelProcs finds the process of each Jupyter kernel and reads the CPU
// time it used. A kernel is started with its connection file on its
// command line (".../kernel-<id>.json"), on classic Notebook and
// jupyter_server alike. Found processes are remembered, so that a poll
// reads two small files per kernel and scans /proc only for a kernel it
// has not found yet.
type kernelProcs struct {
	dir  string         // /proc
	pids map[string]int // kernel id -> pid
}

// ticks returns the CPU time, in clock ticks, that each kernel's process
// (and its waited-for children) used so far, keyed by kernel id. A kernel
// whose process is not found (a remote kernel, or /proc hidden by hidepid)
// is left out.
func (kp *kernelProcs) ticks(ids []string) map[string]uint64 {
	out := map[string]uint64{}
	pids := map[string]int{}
	var missing []string
	for _, id := range ids {
		pid, ok := kp.pids[id]
		if ok && kp.isKernel(pid, id) {
			if t, err := procTicks(kp.path(pid, "stat")); err == nil {
				out[id], pids[id] = t, pid
				continue
			}
		}
		missing = append(missing, id)
	}
	if len(missing) > 0 {
		entries, _ := os.ReadDir(kp.dir)
		for _, e := range entries {
			pid, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			cmd, err := os.ReadFile(kp.path(pid, "cmdline"))
			if err != nil || !bytes.Contains(cmd, []byte("kernel-")) {
				continue
			}
			for _, id := range missing {
				if _, seen := out[id]; seen || !bytes.Contains(cmd, []byte("kernel-"+id+".json")) {
					continue
				}
				if t, err := procTicks(kp.path(pid, "stat")); err == nil {
					out[id], pids[id] = t, pid
				}
			}
		}
	}
	kp.pids = pids
	return out
}

func (kp *kernelProcs) path(pid int, file string) string {
	return kp.dir + "/" + strconv.Itoa(pid) + "/" + file
}

// isKernel reports whether pid is still kernel id's process (pids are
// reused).
func (kp *kernelProcs) isKernel(pid int, id string) bool {
	cmd, err := os.ReadFile(kp.path(pid, "cmdline"))
	return err == nil && bytes.Contains(cmd, []byte("kernel-"+id+".json"))
}

// procTicks is utime+stime+cutime+cstime of /proc/<pid>/stat.
func procTicks(path string) (uint64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("%s: no command name", path)
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state); utime..cstime are fields 14..17.
	if len(f) < 15 {
		return 0, fmt.Errorf("%s: short", path)
	}
	var sum uint64
	for _, s := range f[11:15] {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", path, err)
		}
		sum += v
	}
	return sum, nil
}
