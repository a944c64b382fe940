package deploy

import (
	"archive/zip"
	"bytes"
	"debug/elf"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/sagesaver/sagesaver/internal/config"
	"github.com/sagesaver/sagesaver/internal/runconfig"
)

// RunFile is where the run configuration lies in the zip (the function
// reads /var/task/run.yaml); the policy and schedule files it names keep
// their paths relative to it.
const RunFile = "run.yaml"

// zipTime is every entry's modification time: the same inputs make the
// same zip, byte for byte, so that its hash changes only with them.
var zipTime = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// Package is what was written.
type Package struct {
	// Arch is the binary's architecture as Lambda names it: arm64 or
	// x86_64 (the hub template's Architecture parameter).
	Arch  string
	Files []string
}

// ReadRun reads and checks the run configuration at runPath as `sagesaver
// run` does (runconfig.Read: its policies and schedules too) and returns its
// bytes with the files it names, relative to it. Errors name the file, line
// and field. A file outside the run file's directory is refused: the zip
// holds that directory's files only.
func ReadRun(runPath string) (data []byte, refs []string, err error) {
	r, err := runconfig.Read(runPath)
	if err != nil {
		return nil, nil, err
	}
	data, err = config.ReadLimited(runPath, config.DefaultLimits.MaxBytes)
	if err != nil {
		return nil, nil, err
	}
	for _, sec := range []struct {
		name    string
		sources []runconfig.Source
	}{{"policies", r.File.Policies}, {"schedules", r.File.Schedules}} {
		for i, src := range sec.sources {
			if src.File == "" {
				continue // inline
			}
			clean := path.Clean(filepath.ToSlash(src.File))
			if filepath.IsAbs(src.File) || clean == ".." || strings.HasPrefix(clean, "../") {
				return nil, nil, config.Attach(runPath, data, &config.FileError{Field: fmt.Sprintf("%s[%d].file", sec.name, i),
					Msg: fmt.Sprintf("%q is outside the run file's directory: the package holds the run file's directory only", src.File)})
			}
			refs = append(refs, clean)
		}
	}
	return data, refs, nil
}

// BinaryArch checks that binary is a Linux executable Lambda can run
// (ELF, arm64 or x86-64) and returns its architecture as Lambda names it.
func BinaryArch(binary []byte) (string, error) {
	f, err := elf.NewFile(bytes.NewReader(binary))
	if err != nil {
		return "", fmt.Errorf("not a Linux executable (build it with GOOS=linux CGO_ENABLED=0 -tags lambda.norpc): %w", err)
	}
	defer f.Close()
	if f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN {
		return "", fmt.Errorf("an ELF file of type %s, not an executable", f.Type)
	}
	switch f.Machine {
	case elf.EM_AARCH64:
		return "arm64", nil
	case elf.EM_X86_64:
		return "x86_64", nil
	}
	return "", fmt.Errorf("built for %s: Lambda runs arm64 and x86_64", f.Machine)
}

// WritePackage writes the function's zip to w: binary as bootstrap (mode
// 0755, at the root, as provided.al2023 wants it), the run configuration as
// run.yaml, and the files it names.
func WritePackage(w io.Writer, runPath string, binary []byte) (*Package, error) {
	run, refs, err := ReadRun(runPath)
	if err != nil {
		return nil, err
	}
	arch, err := BinaryArch(binary)
	if err != nil {
		return nil, err
	}
	p := &Package{Arch: arch}
	zw := zip.NewWriter(w)
	add := func(name string, mode os.FileMode, data []byte) error {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate, Modified: zipTime}
		h.SetMode(mode)
		fw, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		if _, err := fw.Write(data); err != nil {
			return err
		}
		p.Files = append(p.Files, name)
		return nil
	}
	if err := add("bootstrap", 0o755, binary); err != nil {
		return nil, err
	}
	if err := add(RunFile, 0o644, run); err != nil {
		return nil, err
	}
	seen := map[string]bool{RunFile: true}
	for _, ref := range refs {
		if seen[ref] {
			continue
		}
		seen[ref] = true
		data, err := os.ReadFile(filepath.Join(filepath.Dir(runPath), filepath.FromSlash(ref)))
		if err != nil {
			return nil, err
		}
		if err := add(ref, 0o644, data); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return p, nil
}
