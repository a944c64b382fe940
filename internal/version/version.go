// Package version holds the build's version, set at link time with
// -ldflags "-X github.com/sagesaver/sagesaver/internal/version.Version=v1.2.3".
package version

import "runtime/debug"

// Version is the release version; "dev" for builds from a work tree.
var Version = "dev"

// String returns the version, falling back to the module version recorded by
// `go install` when no -X flag was given.
func String() string {
	if Version != "dev" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return Version
}

// UserAgent is the application id sent to AWS: sagesaver/<version>.
func UserAgent() string { return "sagesaver/" + String() }
