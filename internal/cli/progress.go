package cli

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"golang.org/x/term"
)

// progressDelay is how long a command runs before it shows progress: a
// scan that answers within it (the usual one-account case, or a cached
// repeat) prints nothing extra.
const progressDelay = 1500 * time.Millisecond

// progressTick is how often the line is redrawn while nothing finishes, so
// that the elapsed time keeps moving on a long throttled scan.
const progressTick = 500 * time.Millisecond

// progressLineEvery is how often progress is written as a line of its own
// when stderr is not a terminal (a CI log, a pipe, a file): often enough
// that a stuck run is never silent for long, rarely enough not to flood
// the log. A var so that tests need not wait for it.
var progressLineEvery = 5 * time.Second

// progress is a one-line "\r" counter on stderr when stderr is a terminal
// and the work takes longer than progressDelay, and otherwise a plain line
// every progressLineEvery. A counter and not a bar library: the units
// (account x region x kind) are coarse and uneven, so a bar's ETA would
// mislead, and a dependency is not worth twenty lines.
type progress struct {
	w     io.Writer
	label string
	start time.Time
	tty   bool
	log   *slog.Logger

	mu          sync.Mutex
	done, total int
	shown       bool
	stop        chan struct{}
	stopped     chan struct{}
}

// newProgress returns progress on w: a redrawn line on a terminal, and
// elsewhere a log line every progressLineEvery (through log, whose
// handler serializes it with the other log lines on w).
func newProgress(w io.Writer, log *slog.Logger, label string) *progress {
	p := &progress{w: w, log: log, label: label, start: time.Now(), tty: isTerminal(w)}
	p.stop, p.stopped = make(chan struct{}), make(chan struct{})
	go p.loop()
	return p
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func (p *progress) loop() {
	defer close(p.stopped)
	every := progressTick
	if !p.tty {
		every = progressLineEvery
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.draw()
		}
	}
}

// update records that done of total units have finished.
func (p *progress) update(done, total int) {
	p.mu.Lock()
	p.done, p.total = done, total
	p.mu.Unlock()
	if p.tty {
		p.draw()
	}
}

func (p *progress) draw() {
	el := time.Since(p.start)
	if p.tty && el < progressDelay {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	status := fmt.Sprintf("%d/%d done", p.done, p.total)
	if p.total == 0 {
		status = "waiting for AWS"
	}
	if !p.tty {
		if p.log != nil {
			p.log.Info(p.label, "progress", status, "elapsed", el.Truncate(time.Second).String())
		}
		return
	}
	p.shown = true
	fmt.Fprintf(p.w, "\r\033[K%s: %s, %s", p.label, status, el.Truncate(time.Second))
}

// finish erases the line, if it was shown.
func (p *progress) finish() {
	close(p.stop)
	<-p.stopped
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
