package cli

import (
	"fmt"
	"io"
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

// progress is a one-line "\r" counter on stderr, shown only when stderr is
// a terminal and the work takes longer than progressDelay. A counter and
// not a bar library: the units (account x region x kind) are coarse and
// uneven, so a bar's ETA would mislead, and a dependency is not worth
// twenty lines.
type progress struct {
	w     io.Writer
	label string
	start time.Time
	on    bool

	mu          sync.Mutex
	done, total int
	shown       bool
	stop        chan struct{}
	stopped     chan struct{}
}

// newProgress returns a progress line on w, inert unless w is a terminal.
func newProgress(w io.Writer, label string) *progress {
	p := &progress{w: w, label: label, start: time.Now(), on: isTerminal(w)}
	if p.on {
		p.stop, p.stopped = make(chan struct{}), make(chan struct{})
		go p.loop()
	}
	return p
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func (p *progress) loop() {
	defer close(p.stopped)
	t := time.NewTicker(progressTick)
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
	if !p.on {
		return
	}
	p.mu.Lock()
	p.done, p.total = done, total
	p.mu.Unlock()
	p.draw()
}

func (p *progress) draw() {
	el := time.Since(p.start)
	if el < progressDelay {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.shown = true
	fmt.Fprintf(p.w, "\r\033[K%s: %d/%d done, %s", p.label, p.done, p.total, el.Truncate(time.Second))
}

// finish erases the line, if it was shown.
func (p *progress) finish() {
	if !p.on {
		return
	}
	close(p.stop)
	<-p.stopped
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
