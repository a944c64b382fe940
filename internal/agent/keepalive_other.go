//go:build !unix

package agent

import "os"

// openKeepAlive opens the keep-alive file (no ownership model to check
// outside Unix; the agent runs on Linux).
func openKeepAlive(path string) (*os.File, error) { return os.Open(path) }
